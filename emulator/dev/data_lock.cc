#include "emulator/dev/data_lock.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
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
  DataDirLock lock(fd);
  lock.set_holder(holder);
  return lock;
}

DataDirLock::DataDirLock(DataDirLock&& other) noexcept : m_fd(other.m_fd) { other.m_fd = -1; }

DataDirLock& DataDirLock::operator=(DataDirLock&& other) noexcept {
  if (this != &other) {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = other.m_fd;
    other.m_fd = -1;
  }
  return *this;
}

DataDirLock::~DataDirLock() {
  if (m_fd >= 0) ::close(m_fd);  // closing the descriptor releases the flock
}

void DataDirLock::set_holder(const std::string& holder) {
  if (m_fd >= 0) write_all(m_fd, holder + "\n");
}

}  // namespace statefun::emulator
