// Who uses a data directory. `statefun dev` holds an exclusive lock on
// <data>/statefun.lock for as long as it runs (the kernel drops it when the
// process dies, even by kill -9), with its pid and admin port written in
// the file; an offline `statefun snapshot restore` holds it while it works. A second `statefun
// dev`, or an offline `statefun snapshot restore`, refuses to touch a directory whose lock is held.
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

 private:
  explicit DataDirLock(int fd) : m_fd(fd) {}
  int m_fd = -1;
};

}  // namespace statefun::emulator
