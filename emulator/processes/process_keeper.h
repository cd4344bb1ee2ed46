// Starts one function process so that it cannot outlive `statefun dev`, not
// even a `kill -9` of it.
//
// The command runs through /bin/sh -c in a process group of its own, under a
// *keeper*: a fork of statefun that only waits. The keeper holds the read end
// of a "lifeline" pipe whose write end only statefun holds. When that pipe
// reaches EOF - because statefun closed it to stop the process, or because
// statefun died, however it died - the keeper sends SIGTERM to the whole
// group (so `npm start` takes its node child along), SIGKILL after a grace
// period, and exits. The command also gets PR_SET_PDEATHSIG, in case the
// keeper itself is killed. When the command exits on its own, the keeper
// kills whatever it left behind in its group before reporting the exit. The
// keeper is a child subreaper: it reaps every orphan the command leaves, so
// nothing lingers as a zombie either, and every process the command started
// stays below it in the process tree. So a child that left the group with
// setsid() is found too (through /proc) and signalled with the group.
//
// Threading: a KeptProcess is used by one thread at a time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "runtime/core/result.h"

namespace statefun::emulator {

struct ExitStatus {
  int code = 0;    // exit code when `signal` is 0
  int signal = 0;  // the signal that killed it, or 0

  // "code 1", "SIGKILL"
  std::string str() const;
};

struct SpawnRequest {
  std::string command;                     // run by /bin/sh -c
  std::string working_dir;                 // must exist
  std::map<std::string, std::string> env;  // on top of statefun's own environment
  // Between SIGTERM and SIGKILL when the process is stopped.
  std::chrono::milliseconds grace{std::chrono::seconds(2)};
};

class KeptProcess {
 public:
  // Starts the keeper and the command. Errors: the pipes or the fork failed
  // (a command that does not exist is not an error here: the shell says so
  // on stderr and exits with 127).
  static Result<KeptProcess> spawn(const SpawnRequest& request);

  KeptProcess(KeptProcess&& other) noexcept;
  KeptProcess& operator=(KeptProcess&& other) noexcept;
  KeptProcess(const KeptProcess&) = delete;
  KeptProcess& operator=(const KeptProcess&) = delete;
  // Stops the process (if running) and waits for the keeper.
  ~KeptProcess();

  pid_t pid() const { return m_pid; }  // the command's pid and process group
  // Read ends of the command's stdout and stderr; owned by this object.
  int stdout_fd() const { return m_stdout; }
  int stderr_fd() const { return m_stderr; }
  // Becomes readable when the keeper has exited (a pidfd); -1 when the
  // kernel has no pidfds, then poll try_reap() now and then.
  int exit_fd() const { return m_exit_fd; }

  // Asks the keeper to stop the process group (SIGTERM, then SIGKILL after
  // the grace period). Returns at once; idempotent.
  void stop();
  // The command's exit status once the keeper has exited; nullopt while it
  // still runs.
  std::optional<ExitStatus> try_reap();
  // Stops the process if it still runs and blocks until the keeper exited.
  ExitStatus wait();

  // Closes the output pipes early (after they are drained).
  void close_output();

 private:
  KeptProcess() = default;
  void release();
  ExitStatus finish(int keeper_status);

  pid_t m_keeper = -1;
  pid_t m_pid = -1;
  int m_stdout = -1, m_stderr = -1;
  int m_lifeline = -1;  // write end; closing it stops the process
  int m_status = -1;    // read end: the command's pid, then its wait status
  int m_exit_fd = -1;
  std::optional<ExitStatus> m_exit;
};

}  // namespace statefun::emulator
