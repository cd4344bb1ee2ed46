#include "emulator/dev/data_lock.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace statefun::emulator {

namespace {

std::string read_all(int fd) {
  std::string text;
  char buffer[256];
  ssize_t n;
  off_t offset = 0;
  while ((n = pread(fd, buffer, sizeof buffer, offset)) > 0) {
    text.append(buffer, static_cast<std::size_t>(n));
    offset += n;
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

void write_all(int fd, const std::string& text) {
  if (ftruncate(fd, 0) != 0) return;
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = pwrite(fd, text.data() + done, text.size() - done, static_cast<off_t>(done));
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

Result<DataDirLock> DataDirLock::acquire(const std::string& data_dir, const std::string& holder) {
  const std::string path = (std::filesystem::path(data_dir) / "statefun.lock").string();
  // O_CLOEXEC: function processes we start must not inherit (and keep) the lock.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return make_error(ErrorCode::kIo, fmt::format("{}: {}", path, std::strerror(errno)));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    std::string other = read_all(fd);
    ::close(fd);
    if (error != EWOULDBLOCK) {
      return make_error(ErrorCode::kIo, fmt::format("{}: {}", path, std::strerror(error)));
    }
    return make_error(
        ErrorCode::kFailedPrecondition,
        fmt::format("{} is in use by {}", data_dir,
                    other.empty() ? "another process (" + path + " is locked)" : other));
  }
  DataDirLock lock(fd, data_dir);
  // Someone may have deleted the lock file of a running statefun dev: the
  // database's own lock still says it is in use.
  if (auto r = lock.lock_database(); !r) return std::unexpected(r.error());
  lock.set_holder(holder);
  return lock;
}

Result<void> DataDirLock::lock_database() {
  const std::string path = (std::filesystem::path(m_data_dir) / "statefun.db").string();
  // No O_CREAT: the store creates the file (a new database is never a
  // zero-byte file); until then there is nothing to lock.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return {};
    return make_error(ErrorCode::kIo, fmt::format("{}: {}", path, std::strerror(errno)));
  }
  // Still the file we hold (a restore that failed before replacing it): a
  // second flock from this process would wait for our own.
  struct stat held {
  }, now{};
  if (m_db_fd >= 0 && ::fstat(m_db_fd, &held) == 0 && ::fstat(fd, &now) == 0 &&
      held.st_dev == now.st_dev && held.st_ino == now.st_ino) {
    ::close(fd);
    return {};
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd);
    if (error != EWOULDBLOCK) {
      return make_error(ErrorCode::kIo, fmt::format("{}: {}", path, std::strerror(error)));
    }
    return make_error(ErrorCode::kFailedPrecondition,
                      fmt::format("{} is in use by another process: its database {} is locked "
                                  "(although statefun.lock is not; was it deleted?)",
                                  m_data_dir, path));
  }
  if (m_db_fd >= 0) ::close(m_db_fd);  // the file a restore replaced
  m_db_fd = fd;
  return {};
}

DataDirLock::DataDirLock(DataDirLock&& other) noexcept
    : m_fd(other.m_fd), m_db_fd(other.m_db_fd), m_data_dir(std::move(other.m_data_dir)) {
  other.m_fd = other.m_db_fd = -1;
}

DataDirLock& DataDirLock::operator=(DataDirLock&& other) noexcept {
  if (this != &other) {
    if (m_fd >= 0) ::close(m_fd);
    if (m_db_fd >= 0) ::close(m_db_fd);
    m_fd = other.m_fd;
    m_db_fd = other.m_db_fd;
    m_data_dir = std::move(other.m_data_dir);
    other.m_fd = other.m_db_fd = -1;
  }
  return *this;
}

DataDirLock::~DataDirLock() {
  // Closing the descriptors releases the flocks.
  if (m_db_fd >= 0) ::close(m_db_fd);
  if (m_fd >= 0) ::close(m_fd);
}

void DataDirLock::set_holder(const std::string& holder) {
  if (m_fd >= 0) write_all(m_fd, holder + "\n");
}

}  // namespace statefun::emulator
