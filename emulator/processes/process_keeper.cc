#include "emulator/processes/process_keeper.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

extern char** environ;

namespace statefun::emulator {
namespace {

// Fixed descriptor numbers inside the keeper.
constexpr int kLifelineFd = 3;
constexpr int kStatusFd = 4;
// After the command exits, how long the keeper waits for the rest of what
// it started to disappear (so a restart finds the port free).
constexpr int64_t kGroupGoneWaitMs = 1000;

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Everything the keeper needs, prepared before fork(): after it, only
// async-signal-safe calls are allowed (other threads may hold malloc's lock).
struct KeeperPlan {
  std::vector<char*> argv;
  std::vector<char*> envp;
  const char* working_dir = nullptr;
  int stdout_w = -1, stderr_w = -1, lifeline_r = -1, status_w = -1;
  int64_t grace_ms = 2000;
};

int64_t now_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

void sleep_ms(int ms) {
  timespec ts{0, ms * 1000000L};
  ::nanosleep(&ts, nullptr);
}

void write_all(int fd, const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
}

void say(const char* text) { write_all(2, text, std::strlen(text)); }

// The command: its own process group, the default signal handling statefun
// changed, and death when the keeper dies.
[[noreturn]] void exec_command(const KeeperPlan& plan, pid_t keeper) {
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != keeper) ::_exit(127);  // the keeper died before prctl
  ::close(kLifelineFd);
  ::close(kStatusFd);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD})
    ::sigaction(sig, &dfl, nullptr);
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (::chdir(plan.working_dir) != 0) {
    say("statefun: cannot enter the working directory\n");
    ::_exit(126);
  }
  ::execve("/bin/sh", plan.argv.data(), plan.envp.data());
  say("statefun: cannot run /bin/sh\n");
  ::_exit(127);
}

// --- the keeper's view of its process tree ----------------------------------
// A child that calls setsid() (a daemonizing server, `setsid cmd &`) leaves
// the command's process group, so killing the group misses it. The keeper
// is a child subreaper: every orphan below it is reparented to it, so its
// descendants are exactly what the command started, wherever they moved.
// They are found in /proc with raw system calls only (no malloc, no stdio:
// the keeper is a fork of a multi-threaded process).

constexpr int kMaxProcesses = 65536;
struct ProcEntry {
  pid_t pid, ppid, pgrp;
};
ProcEntry g_procs[kMaxProcesses];  // the keeper's alone (a forked copy)
bool g_mine[kMaxProcesses];

// The parent and process group of `pid` from /proc/<pid>/stat ("pid (comm)
// state ppid pgrp ..."); false when it is gone. comm may hold spaces and
// parentheses: parse after the last ')'.
bool read_stat(const char* pid_text, pid_t& ppid, pid_t& pgrp) {
  char path[64] = "/proc/";
  std::size_t n = 6;
  for (const char* p = pid_text; *p && n < sizeof(path) - 6; ++p) path[n++] = *p;
  for (const char* p = "/stat"; *p; ++p) path[n++] = *p;
  path[n] = '\0';
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char stat[512];
  const ssize_t got = ::read(fd, stat, sizeof(stat) - 1);
  ::close(fd);
  if (got <= 0) return false;
  const char* end = stat + got;
  const char* close_paren = nullptr;
  for (const char* c = stat; c < end; ++c) {
    if (*c == ')') close_paren = c;
  }
  if (!close_paren || close_paren + 4 >= end) return false;
  const char* p = close_paren + 4;  // past ") S "
  auto number = [&p, end] {
    pid_t value = 0;
    for (; p < end && *p >= '0' && *p <= '9'; ++p) value = value * 10 + (*p - '0');
    if (p < end) ++p;  // the space after it
    return value;
  };
  ppid = number();
  pgrp = number();
  return true;
}

// Sends `sig` to every descendant of the keeper outside process group
// `group` (which the caller signals as a whole); returns how many.
int signal_descendants(int sig, pid_t group) {
  const int dir = ::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return 0;
  int count = 0;
  alignas(8) char buffer[8192];
  for (;;) {
    const long got = ::syscall(SYS_getdents64, dir, buffer, sizeof(buffer));
    if (got <= 0) break;
    for (long offset = 0; offset < got;) {
      // struct linux_dirent64: ino (8), off (8), reclen (2), type (1), name.
      unsigned short reclen = 0;
      std::memcpy(&reclen, buffer + offset + 16, sizeof(reclen));
      const char* name = buffer + offset + 19;
      offset += reclen;
      if (name[0] < '1' || name[0] > '9' || count >= kMaxProcesses) continue;
      pid_t pid = 0;
      for (const char* p = name; *p >= '0' && *p <= '9'; ++p) pid = pid * 10 + (*p - '0');
      pid_t ppid = 0, pgrp = 0;
      if (read_stat(name, ppid, pgrp)) g_procs[count++] = {pid, ppid, pgrp};
    }
  }
  ::close(dir);
  // Mark the tree below the keeper, one generation per pass.
  const pid_t keeper = ::getpid();
  for (int i = 0; i < count; ++i) g_mine[i] = false;
  for (bool grew = true; grew;) {
    grew = false;
    for (int i = 0; i < count; ++i) {
      if (g_mine[i]) continue;
      bool below = g_procs[i].ppid == keeper;
      for (int j = 0; j < count && !below; ++j) {
        below = g_mine[j] && g_procs[j].pid == g_procs[i].ppid;
      }
      if (below) g_mine[i] = grew = true;
    }
  }
  int signalled = 0;
  for (int i = 0; i < count; ++i) {
    if (g_mine[i] && g_procs[i].pgrp != group && ::kill(g_procs[i].pid, sig) == 0) ++signalled;
  }
  return signalled;
}

[[noreturn]] void run_keeper(const KeeperPlan& plan) {
  // Put the descriptors at fixed numbers; go through high numbers first so
  // that no dup2 overwrites a descriptor still to be moved.
  const int out = ::fcntl(plan.stdout_w, F_DUPFD, 10);
  const int err = ::fcntl(plan.stderr_w, F_DUPFD, 10);
  const int lifeline = ::fcntl(plan.lifeline_r, F_DUPFD, 10);
  const int status = ::fcntl(plan.status_w, F_DUPFD, 10);
  const int null = ::open("/dev/null", O_RDWR);
  if (out < 0 || err < 0 || lifeline < 0 || status < 0 || null < 0) ::_exit(127);
  ::dup2(null, 0);
  ::dup2(out, 1);
  ::dup2(err, 2);
  ::dup2(lifeline, kLifelineFd);
  ::dup2(status, kStatusFd);
  // Nothing else of statefun's (sockets, other processes' lifelines) may
  // stay open here: another keeper holding this one's lifeline would keep
  // it alive after statefun died.
  if (::syscall(SYS_close_range, kStatusFd + 1, ~0U, 0) != 0) {
    for (int fd = kStatusFd + 1; fd < 65536; ++fd) ::close(fd);
  }
  ::prctl(PR_SET_NAME, "statefun-keeper");
  // Ctrl-C or a closed terminal reach statefun and its keepers alike; the
  // keeper must outlive statefun to clean up, so only the lifeline ends it.
  sigset_t blocked;
  ::sigemptyset(&blocked);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) ::sigaddset(&blocked, sig);
  ::sigprocmask(SIG_BLOCK, &blocked, nullptr);

  // Orphans of the command come to us, so we can reap them and know when
  // the last one is gone.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  const pid_t keeper = ::getpid();
  const pid_t child = ::fork();
  if (child == 0) exec_command(plan, keeper);
  int32_t reported = child < 0 ? -1 : child;
  write_all(kStatusFd, &reported, sizeof reported);
  if (child < 0) ::_exit(127);
  ::setpgid(child, child);  // also here: whichever of the two runs first
  // The output pipes belong to the command; statefun sees EOF once it and
  // everything it started are gone.
  ::dup2(0, 1);
  ::dup2(0, 2);

  // Reaps whatever has exited; true once the command itself has.
  bool child_exited = false;
  int wait_status = 0;
  auto reap = [&] {
    for (;;) {
      int status = 0;
      const pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid <= 0) return;
      if (pid == child) {
        child_exited = true;
        wait_status = status;
      }
    }
  };

  const int child_fd = pidfd_open(child);
  bool stopping = false;
  int64_t kill_at = 0;
  while (!child_exited) {
    pollfd fds[2] = {{stopping ? -1 : kLifelineFd, POLLIN, 0}, {child_fd, POLLIN, 0}};
    // Wake up now and then anyway to reap orphans that were handed to us.
    int timeout = child_fd < 0 ? 50 : 1000;
    if (stopping) timeout = static_cast<int>(std::clamp<int64_t>(kill_at - now_ms(), 0, 50));
    ::poll(fds, child_fd < 0 ? 1 : 2, timeout);
    reap();
    if (child_exited) break;
    if (!stopping && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      // Nothing is ever written: readable means EOF, statefun let go. The
      // group first (the usual case), then whatever left it with setsid.
      ::kill(-child, SIGTERM);
      signal_descendants(SIGTERM, child);
      stopping = true;
      kill_at = now_ms() + plan.grace_ms;
    }
    if (stopping && now_ms() >= kill_at) {
      ::kill(-child, SIGKILL);
      signal_descendants(SIGKILL, child);
    }
  }
  // The command is gone; whatever it started goes too (its group, and any
  // descendant that left it), and we wait (a little) until our last
  // descendant has been reaped. Killing again each round catches what was
  // forked meanwhile.
  ::kill(-child, SIGKILL);
  for (const int64_t until = now_ms() + kGroupGoneWaitMs; now_ms() < until;) {
    signal_descendants(SIGKILL, child);
    reap();
    if (::waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD) break;
    sleep_ms(5);
  }
  int32_t final_status = wait_status;
  write_all(kStatusFd, &final_status, sizeof final_status);
  ::_exit(0);
}

bool read_all(int fd, void* data, std::size_t size) {
  char* p = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t n = ::read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

std::string ExitStatus::str() const {
  if (signal == 0) return fmt::format("code {}", code);
  const char* name = ::sigabbrev_np(signal);
  return name ? fmt::format("SIG{}", name) : fmt::format("signal {}", signal);
}

Result<KeptProcess> KeptProcess::spawn(const SpawnRequest& request) {
  // Strings the keeper will point into; they outlive the fork in the parent
  // and are copied into the child's address space by fork itself.
  std::vector<std::string> env_storage;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    const auto name = entry.substr(0, entry.find('='));
    if (!request.env.contains(std::string(name))) env_storage.emplace_back(entry);
  }
  for (const auto& [name, value] : request.env) env_storage.push_back(name + "=" + value);
  std::string sh = "sh", dash_c = "-c", command = request.command;
  KeeperPlan plan;
  plan.argv = {sh.data(), dash_c.data(), command.data(), nullptr};
  for (auto& entry : env_storage) plan.envp.push_back(entry.data());
  plan.envp.push_back(nullptr);
  plan.working_dir = request.working_dir.c_str();
  plan.grace_ms = request.grace.count();

  int out[2], err[2], lifeline[2], status[2];
  int* pipes[] = {out, err, lifeline, status};
  for (std::size_t i = 0; i < std::size(pipes); ++i) {
    if (::pipe2(pipes[i], O_CLOEXEC) != 0) {
      const int saved = errno;
      for (std::size_t j = 0; j < i; ++j) {
        ::close(pipes[j][0]);
        ::close(pipes[j][1]);
      }
      return make_error(ErrorCode::kIo,
                        fmt::format("cannot create a pipe: {}", std::strerror(saved)));
    }
  }
  plan.stdout_w = out[1];
  plan.stderr_w = err[1];
  plan.lifeline_r = lifeline[0];
  plan.status_w = status[1];

  const pid_t keeper = ::fork();
  if (keeper == 0) run_keeper(plan);
  const int fork_errno = errno;
  for (int fd : {out[1], err[1], lifeline[0], status[1]}) ::close(fd);

  KeptProcess process;
  process.m_stdout = out[0];
  process.m_stderr = err[0];
  process.m_lifeline = lifeline[1];
  process.m_status = status[0];
  if (keeper < 0) {
    return make_error(ErrorCode::kIo, fmt::format("cannot fork: {}", std::strerror(fork_errno)));
  }
  process.m_keeper = keeper;
  int32_t pid = -1;
  if (!read_all(process.m_status, &pid, sizeof pid) || pid <= 0) {
    process.wait();
    return make_error(ErrorCode::kIo, "cannot start the process (fork failed in its keeper)");
  }
  process.m_pid = pid;
  process.m_exit_fd = pidfd_open(keeper);
  return process;
}

KeptProcess::KeptProcess(KeptProcess&& other) noexcept { *this = std::move(other); }

KeptProcess& KeptProcess::operator=(KeptProcess&& other) noexcept {
  if (this != &other) {
    release();
    m_keeper = std::exchange(other.m_keeper, -1);
    m_pid = std::exchange(other.m_pid, -1);
    m_stdout = std::exchange(other.m_stdout, -1);
    m_stderr = std::exchange(other.m_stderr, -1);
    m_lifeline = std::exchange(other.m_lifeline, -1);
    m_status = std::exchange(other.m_status, -1);
    m_exit_fd = std::exchange(other.m_exit_fd, -1);
    m_exit = std::exchange(other.m_exit, std::nullopt);
  }
  return *this;
}

KeptProcess::~KeptProcess() { release(); }

void KeptProcess::release() {
  if (m_keeper > 0 && !m_exit) wait();
  close_output();
  close_fd(m_lifeline);
  close_fd(m_status);
  close_fd(m_exit_fd);
  m_keeper = -1;
}

void KeptProcess::close_output() {
  close_fd(m_stdout);
  close_fd(m_stderr);
}

void KeptProcess::stop() { close_fd(m_lifeline); }

ExitStatus KeptProcess::finish(int keeper_status) {
  int32_t status = 0;
  ExitStatus exit;
  if (read_all(m_status, &status, sizeof status)) {
    keeper_status = status;
  }
  if (WIFSIGNALED(keeper_status)) {
    exit.signal = WTERMSIG(keeper_status);
  } else {
    exit.code = WEXITSTATUS(keeper_status);
  }
  m_exit = exit;
  close_fd(m_lifeline);
  return exit;
}

std::optional<ExitStatus> KeptProcess::try_reap() {
  if (m_exit || m_keeper <= 0) return m_exit;
  int status = 0;
  const pid_t r = ::waitpid(m_keeper, &status, WNOHANG);
  if (r == m_keeper) return finish(status);
  if (r < 0 && errno == ECHILD) return finish(0);
  return std::nullopt;
}

ExitStatus KeptProcess::wait() {
  if (m_exit) return *m_exit;
  stop();
  int status = 0;
  while (::waitpid(m_keeper, &status, 0) < 0 && errno == EINTR) {
  }
  return finish(status);
}

}  // namespace statefun::emulator
