// Copies SQLite's write-ahead log back into the database file on a thread of
// its own. By default SQLite checkpoints inside the commit that grows the log
// past 1000 pages: on the engine thread, reading and writing megabytes and
// waiting for fsync, which was a fifth of the engine's time under load. Here
// the engine's commits only signal; a second connection checkpoints
// (PASSIVE: it never blocks the writer or readers). The thread and its
// connection start with the first checkpoint, so an idle emulator has
// neither.
//
// Thread safety: construct and destroy on the thread that owns `writer`.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "runtime/core/thread_annotations.h"
#include "runtime/store/sqlite.h"

namespace statefun {

class WalCheckpointer {
 public:
  // Takes over `writer`'s WAL hook (and so its auto-checkpoint). If the
  // second connection cannot be opened later, the writer checkpoints itself
  // as SQLite would.
  static std::unique_ptr<WalCheckpointer> attach(sqlite3* writer, const std::string& path,
                                                 bool synchronous_full);
  ~WalCheckpointer();  // stops the thread and restores auto-checkpointing
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Checkpoints completed so far (for tests).
  long checkpoints() const { return m_checkpoints.load(); }

 private:
  WalCheckpointer(sqlite3* writer, std::string path, bool synchronous_full);
  static int on_commit(void* self, sqlite3* db, const char* schema, int pages);
  Result<sqlite::Connection> open_own_connection() const;
  void run();

  sqlite3* m_writer;
  const std::string m_path;
  const bool m_synchronous_full;
  std::atomic<bool> m_failed{false};  // no second connection: the writer checkpoints
  Mutex m_mutex;
  CondVar m_wake;
  bool m_requested STATEFUN_GUARDED_BY(m_mutex) = false;
  bool m_stopping STATEFUN_GUARDED_BY(m_mutex) = false;
  std::atomic<long> m_checkpoints{0};
  std::thread m_thread;
};

}  // namespace statefun
