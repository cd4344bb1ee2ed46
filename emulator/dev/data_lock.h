// Who uses a data directory. `statefun dev` holds an exclusive lock on
// <data>/statefun.lock for as long as it runs (the kernel drops it when the
// process dies, even by kill -9), with its pid and admin port written in
// the file; an offline `statefun snapshot restore` holds it while it works. A second `statefun
// dev`, or an offline `statefun snapshot restore`, refuses to touch a directory whose lock is held.
//
// The lock file is only the friendly half (it names the holder): anyone can
// delete it. So the holder also holds an flock on the database file
// <data>/statefun.db itself, and acquire() refuses while another process
// holds that. flock locks are separate from the POSIX locks SQLite takes on
// the same file, so they do not disturb each other; the descriptor stays
// open until the lock is released, after the store is closed.
#pragma once

#include <string>

#include "runtime/core/result.h"

namespace statefun::emulator {

class DataDirLock {
 public:
  // Takes the lock of `data_dir` (which must exist) and writes `holder`
  // ("statefun dev (pid 7, admin port 8092)") into the file.
  // kFailedPrecondition when someone else holds it: the message names them.
  static Result<DataDirLock> acquire(const std::string& data_dir, const std::string& holder);

  DataDirLock(DataDirLock&& other) noexcept;
  DataDirLock& operator=(DataDirLock&& other) noexcept;
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;
  ~DataDirLock();  // releases the lock

  // Replaces what the lock file says about its holder.
  void set_holder(const std::string& holder);

  // Locks the database file (acquire() already did when it existed). Call
  // it once the store created the file, and again after a restore replaced
  // it (the lock belongs to the file, not to its name).
  Result<void> lock_database();

 private:
  DataDirLock(int fd, std::string data_dir) : m_fd(fd), m_data_dir(std::move(data_dir)) {}
  int m_fd = -1;
  int m_db_fd = -1;  // flock on statefun.db, or -1 while it does not exist
  std::string m_data_dir;
};

}  // namespace statefun::emulator
