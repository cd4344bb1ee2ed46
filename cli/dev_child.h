// A `statefun dev` that `statefun test` starts for one scenario: this same
// binary as a child process, on free ports, with its output in a log file,
// stopped with SIGTERM (SIGKILL after a grace period) so it takes its
// function processes along. It also gets SIGTERM when the thread that
// started it dies (PR_SET_PDEATHSIG), so a killed `statefun test` leaves no
// dev behind; start and stop it from the same thread.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "runtime/core/result.h"

namespace statefun::cli {

// A TCP port on 127.0.0.1 that nothing listened on a moment ago (bound to
// port 0 and released). Another program may take it meanwhile; a dev that
// cannot bind it fails to start with a clear message.
Result<int> free_local_port();

class DevChild {
 public:
  // Starts `statefun dev ARGS...` with stdout and stderr going to `log_path`.
  static Result<DevChild> start(const std::vector<std::string>& args, const std::string& log_path);
  DevChild(DevChild&& other) noexcept;
  DevChild& operator=(DevChild&&) = delete;
  DevChild(const DevChild&) = delete;
  ~DevChild();  // stops it if still running

  // Whether it still runs; once it has exited, `exit_text()` says how.
  bool running();
  std::string exit_text() const { return m_exit_text; }
  // SIGTERM, then SIGKILL after `grace_ms`; waits for it. Idempotent.
  void stop(int grace_ms = 15000);
  // The last `lines` lines of its log.
  std::string log_tail(std::size_t lines) const;

 private:
  DevChild(pid_t pid, std::string log_path) : m_pid(pid), m_log_path(std::move(log_path)) {}
  void reaped(int status);

  pid_t m_pid = -1;
  std::string m_log_path;
  std::string m_exit_text;
};

}  // namespace statefun::cli
