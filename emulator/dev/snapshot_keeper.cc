#include "emulator/dev/snapshot_keeper.h"

#include <fmt/format.h>

namespace statefun::emulator {

namespace {

std::string size_text(int64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  if (bytes < 1024 * 1024) return fmt::format("{:.1f} KiB", bytes / 1024.0);
  return fmt::format("{:.1f} MiB", bytes / (1024.0 * 1024.0));
}

}  // namespace

SnapshotKeeper::SnapshotKeeper(std::string data_dir, SnapshotPolicy policy, Console& console)
    : m_snapshots(std::move(data_dir)), m_policy(policy), m_console(console) {}

SnapshotKeeper::~SnapshotKeeper() {
  {
    MutexLock lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  if (m_thread.joinable()) m_thread.join();
}

Result<SnapshotInfo> SnapshotKeeper::create(const std::string& name) {
  MutexLock lock(m_file_mutex);
  const Signature before = signature();
  auto info = m_snapshots.create(name);
  if (!info || !name.empty()) return info;
  m_last = before;
  if (auto pruned = m_snapshots.prune_automatic(m_policy.keep); !pruned) {
    m_console.warn(
        fmt::format("could not remove old automatic snapshots: {}", pruned.error().message));
  }
  return info;
}

Result<void> SnapshotKeeper::exclusive(const std::function<Result<void>()>& fn) {
  MutexLock lock(m_file_mutex);
  m_last.reset();  // the restored database is a new starting point
  return fn();
}

void SnapshotKeeper::start(const Dispatcher& dispatcher) {
  m_dispatcher = &dispatcher;
  if (m_policy.every.count() > 0) m_thread = std::thread([this] { run(); });
}

void SnapshotKeeper::stop() {
  {
    MutexLock lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  if (m_thread.joinable()) m_thread.join();
  if (m_policy.on_exit && m_dispatcher) automatic("at exit");
}

SnapshotKeeper::Signature SnapshotKeeper::signature() const {
  if (!m_dispatcher) return {};
  const auto s = m_dispatcher->status();
  return {s.steps, s.pending, s.unroutable, s.timers};
}

// An automatic snapshot, unless nothing changed since the last one (an idle
// emulator keeps its distinct snapshots instead of rotating copies).
void SnapshotKeeper::automatic(const char* why) {
  {
    MutexLock lock(m_file_mutex);
    if (m_last && *m_last == signature()) return;
  }
  auto info = create("");
  if (!info) {
    m_console.warn(fmt::format("automatic snapshot failed: {}", info.error().message));
    return;
  }
  m_console.info(fmt::format("snapshot {} ({}): {} entit{}, {} pending, {} timer{}, {}", info->name,
                             why, info->entities, info->entities == 1 ? "y" : "ies", info->pending,
                             info->timers, info->timers == 1 ? "" : "s",
                             size_text(info->size_bytes)));
}

void SnapshotKeeper::run() {
  for (;;) {
    {
      MutexLock lock(m_mutex);
      const auto deadline = std::chrono::steady_clock::now() + m_policy.every;
      while (!m_stopping && m_wake.wait_until(m_mutex, deadline)) {
      }
      if (m_stopping) return;
    }
    automatic("periodic");
  }
}

}  // namespace statefun::emulator
