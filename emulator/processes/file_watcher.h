// Tells when files matching a set of globs change (inotify), after the
// burst of events an editor's save makes has settled.
//
// Globs are relative to a root folder: `*.js`, `src/**/*.py`, `module.yaml`
// (absolute globs and `../` work too).
// `*`, `?` and `[...]` match within one path segment; `**` matches any
// number of segments. Folders named node_modules, __pycache__ or starting
// with a dot are not searched unless a glob names them.
//
// Threading: one thread runs every subscription's callback; add/remove are
// thread-safe and may be called from a callback.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "runtime/core/result.h"
#include "runtime/core/thread_annotations.h"

namespace statefun::emulator {

// Does `path` (relative, '/'-separated) match `glob`?
bool glob_match(std::string_view glob, std::string_view path);

class FileWatcher {
 public:
  // Paths relative to the subscription's root (absolute when outside it),
  // sorted.
  using Callback = std::function<void(const std::vector<std::string>& changed)>;

  explicit FileWatcher(std::chrono::milliseconds debounce = std::chrono::milliseconds(100));
  ~FileWatcher();  // stop()
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  // Watches files under `root` that match any of `globs`; `on_change` runs
  // once changes stop for `debounce`. Returns the subscription's id. Errors:
  // inotify is unavailable or out of watches (the message says so).
  Result<int> add(const std::string& root, std::vector<std::string> globs, Callback on_change);
  void remove(int id);
  void stop();

 private:
  struct Subscription;
  void run();
  bool watch_tree(int id, Subscription& subscription, const std::string& dir, int depth)
      STATEFUN_REQUIRES(m_mutex);
  void on_event(int wd, std::string_view name, uint32_t mask) STATEFUN_REQUIRES(m_mutex);

  std::chrono::milliseconds m_debounce;
  int m_inotify = -1;
  int m_wake = -1;
  Mutex m_mutex;
  std::map<int, std::unique_ptr<Subscription>> m_subscriptions STATEFUN_GUARDED_BY(m_mutex);
  // wd -> (subscription, dir)
  std::map<int, std::set<std::pair<int, std::string>>> m_dirs STATEFUN_GUARDED_BY(m_mutex);
  int m_next_id STATEFUN_GUARDED_BY(m_mutex) = 1;
  bool m_stopping STATEFUN_GUARDED_BY(m_mutex) = false;
  std::thread m_thread;
};

}  // namespace statefun::emulator
