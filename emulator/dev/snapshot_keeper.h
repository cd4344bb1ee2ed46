// Snapshots of a running `statefun dev`: on demand (admin API), on a period
// and at a clean shutdown (automatic ones, of which the newest `keep`
// stay), and the exclusive section a restore installs a file in.
//
// Thread-safe: creating a snapshot and installing one never overlap.
#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "emulator/console/console.h"
#include "runtime/core/thread_annotations.h"
#include "runtime/engine/dispatcher.h"
#include "runtime/store/snapshots.h"

namespace statefun::emulator {

struct SnapshotPolicy {
  // Take an automatic snapshot this often (0: never on a period).
  std::chrono::milliseconds every{0};
  // Automatic snapshots kept; older ones are removed (manual ones never).
  int keep = 5;
  // Take one more at a clean shutdown (if anything changed since the last).
  bool on_exit = false;
};

class SnapshotKeeper {
 public:
  SnapshotKeeper(std::string data_dir, SnapshotPolicy policy, Console& console);
  ~SnapshotKeeper();  // stops the period without a final snapshot
  SnapshotKeeper(const SnapshotKeeper&) = delete;
  SnapshotKeeper& operator=(const SnapshotKeeper&) = delete;

  const SnapshotPolicy& policy() const { return m_policy; }
  Snapshots& snapshots() { return m_snapshots; }

  // Creates a snapshot of the committed database (empty name: an automatic
  // one, after which automatic snapshots beyond `keep` are removed).
  // Errors as Snapshots::create.
  Result<SnapshotInfo> create(const std::string& name);
  // Runs `fn` while no snapshot is being written (a restore replaces the
  // database file inside it).
  Result<void> exclusive(const std::function<Result<void>()>& fn);

  // Starts the period (if any). `dispatcher` tells whether anything changed
  // since the last automatic snapshot; it must outlive stop().
  void start(const Dispatcher& dispatcher);
  // Ends the period; with `on_exit`, takes the final automatic snapshot.
  // Call after the dispatcher stopped (everything is committed then).
  void stop();

 private:
  using Signature = std::array<int64_t, 4>;
  Signature signature() const;
  void automatic(const char* why);
  void run();

  Snapshots m_snapshots;
  SnapshotPolicy m_policy;
  Console& m_console;
  const Dispatcher* m_dispatcher = nullptr;
  Mutex m_file_mutex;  // one snapshot file operation at a time
  std::optional<Signature> m_last STATEFUN_GUARDED_BY(m_file_mutex);
  Mutex m_mutex;
  CondVar m_wake;
  bool m_stopping STATEFUN_GUARDED_BY(m_mutex) = false;
  std::thread m_thread;
};

}  // namespace statefun::emulator
