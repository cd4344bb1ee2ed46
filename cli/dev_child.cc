#include "cli/dev_child.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <fstream>
#include <thread>

namespace statefun::cli {

Result<int> free_local_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(ErrorCode::kIo, fmt::format("socket: {}", std::strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t length = sizeof(addr);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0;
  const int error = errno;
  ::close(fd);
  if (!ok) return make_error(ErrorCode::kIo, fmt::format("no free port: {}", std::strerror(error)));
  return static_cast<int>(ntohs(addr.sin_port));
}

Result<DevChild> DevChild::start(const std::vector<std::string>& args,
                                 const std::string& log_path) {
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return make_error(ErrorCode::kIo, "cannot find the statefun binary (/proc/self/exe)");
  self[n] = '\0';
  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls.
  std::vector<std::string> words{self};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log < 0) {
    return make_error(ErrorCode::kIo, fmt::format("{}: {}", log_path, std::strerror(errno)));
  }
  const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int error = errno;
    ::close(log);
    if (devnull >= 0) ::close(devnull);
    return make_error(ErrorCode::kIo, fmt::format("fork: {}", std::strerror(error)));
  }
  if (pid == 0) {
    // Its own process group: a Ctrl-C of `statefun test` reaches it through
    // our stop(), not twice.
    ::setpgid(0, 0);
    // A statefun test that dies (Ctrl-C, kill) takes its devs along: they
    // get SIGTERM and stop their function processes as on any stop.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);  // it died before the line above
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::dup2(log, STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(log);
  if (devnull >= 0) ::close(devnull);
  return DevChild(pid, log_path);
}

DevChild::DevChild(DevChild&& other) noexcept
    : m_pid(other.m_pid),
      m_log_path(std::move(other.m_log_path)),
      m_exit_text(std::move(other.m_exit_text)) {
  other.m_pid = -1;
}

DevChild::~DevChild() { stop(); }

void DevChild::reaped(int status) {
  m_pid = -1;
  if (WIFEXITED(status)) {
    m_exit_text = fmt::format("exited with code {}", WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    m_exit_text = fmt::format("killed by signal {}", WTERMSIG(status));
  }
}

bool DevChild::running() {
  if (m_pid < 0) return false;
  int status = 0;
  if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
    reaped(status);
    return false;
  }
  return true;
}

void DevChild::stop(int grace_ms) {
  if (!running()) return;
  ::kill(m_pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      // Its keeper processes still take the function processes down.
      ::kill(m_pid, SIGKILL);
      int status = 0;
      if (::waitpid(m_pid, &status, 0) == m_pid) reaped(status);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string DevChild::log_tail(std::size_t lines) const {
  std::ifstream in(m_log_path);
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    last.push_back(std::move(line));
    if (last.size() > lines) last.pop_front();
  }
  std::string text;
  for (const auto& line : last) text += line + "\n";
  return text;
}

}  // namespace statefun::cli
