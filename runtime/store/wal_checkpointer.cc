#include "runtime/store/wal_checkpointer.h"

namespace statefun {
namespace {

// A checkpoint is asked for once the log holds this many pages (SQLite's
// own default threshold).
constexpr int kCheckpointPages = 1000;
// If the background thread falls far behind (or the log cannot be reset
// because a reader holds an old snapshot), the writer checkpoints itself,
// as SQLite would, so the log cannot grow without bound.
constexpr int kWriterBackstopPages = 64 * kCheckpointPages;

}  // namespace

std::unique_ptr<WalCheckpointer> WalCheckpointer::attach(sqlite3* writer, const std::string& path,
                                                         bool synchronous_full) {
  return std::unique_ptr<WalCheckpointer>(new WalCheckpointer(writer, path, synchronous_full));
}

WalCheckpointer::WalCheckpointer(sqlite3* writer, std::string path, bool synchronous_full)
    : m_writer(writer), m_path(std::move(path)), m_synchronous_full(synchronous_full) {
  sqlite3_wal_hook(m_writer, &WalCheckpointer::on_commit, this);
}

WalCheckpointer::~WalCheckpointer() {
  {
    MutexLock lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_one();
  if (m_thread.joinable()) m_thread.join();
  sqlite3_wal_autocheckpoint(m_writer, kCheckpointPages);
}

int WalCheckpointer::on_commit(void* self, sqlite3* db, const char* schema, int pages) {
  auto& checkpointer = *static_cast<WalCheckpointer*>(self);
  if (pages >= kWriterBackstopPages || (pages >= kCheckpointPages && checkpointer.m_failed)) {
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  } else if (pages >= kCheckpointPages) {
    {
      MutexLock lock(checkpointer.m_mutex);
      checkpointer.m_requested = true;
    }
    checkpointer.m_wake.notify_one();
    if (!checkpointer.m_thread.joinable()) {
      checkpointer.m_thread = std::thread([&checkpointer] { checkpointer.run(); });
    }
  }
  return SQLITE_OK;
}

Result<sqlite::Connection> WalCheckpointer::open_own_connection() const {
  // The checkpoint's own fsyncs follow the durability the user chose. No busy
  // wait: a PASSIVE checkpoint never waits for a lock anyway.
  return sqlite::Connection::open(
      m_path, {.access = sqlite::Access::kReadWrite,
               .busy_timeout_ms = 0,
               .pragmas = {m_synchronous_full ? "synchronous=FULL" : "synchronous=NORMAL"}});
}

void WalCheckpointer::run() {
  auto own = open_own_connection();
  if (!own) {
    m_failed = true;
    return;
  }
  for (;;) {
    {
      MutexLock lock(m_mutex);
      while (!m_stopping && !m_requested) m_wake.wait(m_mutex);
      if (m_stopping) break;
      m_requested = false;
    }
    // Errors (SQLITE_BUSY from a concurrent restore, say) only mean the log
    // stays longer; the next commit over the threshold asks again.
    sqlite3_wal_checkpoint_v2(own->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    ++m_checkpoints;
  }
}

}  // namespace statefun
