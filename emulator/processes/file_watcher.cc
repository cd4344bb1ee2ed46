#include "emulator/processes/file_watcher.h"

#include <fmt/format.h>
#include <fnmatch.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

namespace statefun::emulator {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

// What an editor's save looks like: written and closed, renamed over, or
// deleted. New folders matter for `**` globs.
constexpr uint32_t kEvents =
    IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_ONLYDIR;
constexpr int kMaxDepth = 12;

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    const auto slash = path.find('/');
    const auto part = path.substr(0, slash);
    if (!part.empty() && part != ".") out.push_back(part);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool has_wildcard(std::string_view segment) {
  return segment.find_first_of("*?[") != std::string_view::npos;
}

bool match_from(const std::vector<std::string_view>& glob, std::size_t g,
                const std::vector<std::string_view>& path, std::size_t p) {
  if (g == glob.size()) return p == path.size();
  if (glob[g] == "**") {
    for (std::size_t k = p; k <= path.size(); ++k) {
      if (match_from(glob, g + 1, path, k)) return true;
    }
    return false;
  }
  if (p == path.size()) return false;
  const std::string pattern(glob[g]), name(path[p]);
  if (::fnmatch(pattern.c_str(), name.c_str(), FNM_PERIOD) != 0) return false;
  return match_from(glob, g + 1, path, p + 1);
}

// Where an absolute pattern's literal part ends: `/app/src/*.js` ->
// (/app/src, false); `/app/src/**/*.js` -> (/app/src, true).
std::pair<std::string, bool> pattern_base(std::string_view pattern) {
  const auto parts = split(pattern);
  std::string base;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    if (has_wildcard(parts[i])) return {base.empty() ? "/" : base, true};
    base += "/" + std::string(parts[i]);
  }
  return {base.empty() ? "/" : base, false};
}

bool skipped_folder(const std::string& name, const std::vector<std::string>& globs) {
  const bool noisy = name.starts_with(".") || name == "node_modules" || name == "__pycache__";
  if (!noisy) return false;
  return std::ranges::none_of(
      globs, [&](const std::string& g) { return g.find(name) != std::string::npos; });
}

}  // namespace

bool glob_match(std::string_view glob, std::string_view path) {
  return match_from(split(glob), 0, split(path), 0);
}

struct FileWatcher::Subscription {
  std::string root;
  std::vector<std::string> globs;
  std::vector<std::string> patterns;  // the globs as absolute paths
  Callback on_change;
  std::set<std::string> pending;  // changed paths, relative to root
  std::optional<Clock::time_point> fire_at;
  std::set<std::string> recursive_dirs;  // absolute: new subfolders get watched too
};

FileWatcher::FileWatcher(std::chrono::milliseconds debounce) : m_debounce(debounce) {
  m_inotify = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  m_wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (m_inotify >= 0 && m_wake >= 0) m_thread = std::thread([this] { run(); });
}

FileWatcher::~FileWatcher() {
  stop();
  if (m_inotify >= 0) ::close(m_inotify);
  if (m_wake >= 0) ::close(m_wake);
}

void FileWatcher::stop() {
  {
    MutexLock lock(m_mutex);
    m_stopping = true;
  }
  if (m_wake >= 0) {
    const uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(m_wake, &one, sizeof one);
  }
  if (m_thread.joinable() && m_thread.get_id() != std::this_thread::get_id()) m_thread.join();
}

Result<int> FileWatcher::add(const std::string& root, std::vector<std::string> globs,
                             Callback on_change) {
  if (m_inotify < 0) {
    return make_error(
        ErrorCode::kUnavailable,
        fmt::format("cannot watch files: inotify is unavailable ({})", std::strerror(errno)));
  }
  MutexLock lock(m_mutex);
  const int id = m_next_id++;
  auto subscription = std::make_unique<Subscription>();
  subscription->root = fs::path(root).lexically_normal().string();
  while (subscription->root.size() > 1 && subscription->root.ends_with('/')) {
    subscription->root.pop_back();
  }
  subscription->globs = std::move(globs);
  subscription->on_change = std::move(on_change);
  auto& sub = *m_subscriptions.emplace(id, std::move(subscription)).first->second;
  std::set<std::string> seen;
  for (const auto& glob : sub.globs) {
    // Relative globs hang off the root; absolute ones (or ../) stay put.
    const std::string pattern = (fs::path(sub.root) / glob).lexically_normal().string();
    sub.patterns.push_back(pattern);
    auto [dir, recursive] = pattern_base(pattern);
    if (!seen.insert(dir + (recursive ? "/**" : "")).second) continue;
    if (recursive) sub.recursive_dirs.insert(dir);
    if (!watch_tree(id, sub, dir, recursive ? 0 : kMaxDepth)) {
      return make_error(ErrorCode::kUnavailable,
                        "cannot watch more files: the inotify limit is reached (raise "
                        "fs.inotify.max_user_watches)");
    }
  }
  return id;
}

// Adds watches for `dir` (and its subfolders unless depth is exhausted) for
// subscription `id`. False only when the inotify limit is reached; a folder
// that does not exist (yet) is not an error.
bool FileWatcher::watch_tree(int id, Subscription& subscription, const std::string& dir,
                             int depth) {
  const int wd = ::inotify_add_watch(m_inotify, dir.c_str(), kEvents);
  if (wd < 0) return errno != ENOSPC;
  m_dirs[wd].emplace(id, dir);
  if (depth >= kMaxDepth) return true;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_directory(ec) || it->is_symlink(ec)) continue;
    const std::string name = it->path().filename().string();
    if (skipped_folder(name, subscription.globs)) continue;
    if (!watch_tree(id, subscription, it->path().string(), depth + 1)) return false;
  }
  return true;
}

void FileWatcher::remove(int id) {
  MutexLock lock(m_mutex);
  m_subscriptions.erase(id);
  for (auto it = m_dirs.begin(); it != m_dirs.end();) {
    std::erase_if(it->second, [id](const auto& owner) { return owner.first == id; });
    if (it->second.empty()) {
      ::inotify_rm_watch(m_inotify, it->first);
      it = m_dirs.erase(it);
    } else {
      ++it;
    }
  }
}

void FileWatcher::on_event(int wd, std::string_view name, uint32_t mask) {
  auto dirs = m_dirs.find(wd);
  if (dirs == m_dirs.end()) return;
  const auto owners = dirs->second;  // watch_tree below may add to it
  for (const auto& [id, dir] : owners) {
    auto it = m_subscriptions.find(id);
    if (it == m_subscriptions.end()) continue;
    Subscription& sub = *it->second;
    const std::string full = dir + "/" + std::string(name);
    if ((mask & IN_ISDIR) && (mask & (IN_CREATE | IN_MOVED_TO))) {
      // A new folder inside a `**` tree: watch it and what it already holds.
      const bool inside = std::ranges::any_of(
          sub.recursive_dirs, [&](const std::string& r) { return full.starts_with(r + "/"); });
      if (inside && !skipped_folder(std::string(name), sub.globs)) {
        watch_tree(id, sub, full, 0);
      }
      continue;
    }
    if (mask & IN_ISDIR) continue;
    const bool matches = std::ranges::any_of(
        sub.patterns, [&](const std::string& pattern) { return glob_match(pattern, full); });
    if (!matches) continue;
    const bool inside = full.starts_with(sub.root + "/");
    sub.pending.insert(inside ? full.substr(sub.root.size() + 1) : full);
    sub.fire_at = Clock::now() + m_debounce;
  }
}

void FileWatcher::run() {
  alignas(inotify_event) std::array<char, 64 * 1024> buffer;
  for (;;) {
    int timeout = -1;
    std::vector<std::pair<Callback, std::vector<std::string>>> due;
    {
      MutexLock lock(m_mutex);
      if (m_stopping) return;
      const auto now = Clock::now();
      for (auto& [id, sub] : m_subscriptions) {
        if (!sub->fire_at) continue;
        if (*sub->fire_at <= now) {
          due.emplace_back(sub->on_change,
                           std::vector<std::string>(sub->pending.begin(), sub->pending.end()));
          sub->pending.clear();
          sub->fire_at.reset();
          continue;
        }
        const auto wait =
            std::chrono::duration_cast<std::chrono::milliseconds>(*sub->fire_at - now).count() + 1;
        timeout = timeout < 0 ? static_cast<int>(wait) : std::min(timeout, static_cast<int>(wait));
      }
    }
    for (auto& [callback, paths] : due) callback(paths);
    if (!due.empty()) continue;  // recompute the timeout

    std::array<pollfd, 2> fds = {pollfd{m_inotify, POLLIN, 0}, pollfd{m_wake, POLLIN, 0}};
    ::poll(fds.data(), fds.size(), timeout);
    if (fds[1].revents) {
      uint64_t count;
      [[maybe_unused]] auto n = ::read(m_wake, &count, sizeof count);
    }
    if (!fds[0].revents) continue;
    const ssize_t n = ::read(m_inotify, buffer.data(), buffer.size());
    if (n <= 0) continue;
    MutexLock lock(m_mutex);
    for (ssize_t offset = 0; offset < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer.data() + offset);
      const std::string_view name = event->len ? std::string_view(event->name) : "";
      if (event->mask & IN_IGNORED) {
        m_dirs.erase(event->wd);  // the folder is gone
      } else if (!name.empty()) {
        on_event(event->wd, name, event->mask);
      }
      offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
    }
  }
}

}  // namespace statefun::emulator
