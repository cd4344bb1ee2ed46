// Runs the function processes of statefun.yaml: runs each one's install step
// when its inputs changed (install_step.h), starts it, waits until it serves
// before its messages flow (its gate), hands every line it prints to an
// observer, restarts it with backoff when it exits, and restarts it on
// request (a watched file changed). While an install step runs the process
// is not started, so it is neither probed nor called late; the observer
// hears how the step is going instead of its output line by line. Processes never outlive statefun
// (process_keeper.h).
//
// Threading: one thread per process; the observer is called from those
// threads (and from the caller of start/update for the first "not ready",
// and from the caller of output_since for the lines it reads). Public
// methods are thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emulator/config/dev_config.h"
#include "emulator/processes/process_keeper.h"
#include "runtime/core/thread_annotations.h"
#include "runtime/engine/call_failure.h"

namespace statefun::emulator {

enum class OutputStream { kStdout, kStderr };

// Something that happened to a process, for the console.
struct ProcessEvent {
  enum class Kind {
    kStarted,      // pid, detail = the command
    kReady,        // elapsed = since it was started
    kNotReady,     // still not ready after ready.timeout: detail, last_lines
    kExited,       // status, before_ready, restart_in; last_lines when before_ready
    kRestarting,   // detail = why (a file changed, statefun.yaml changed)
    kCannotStart,  // detail (port taken, no working dir, fork failed), restart_in
    kStopped,      // stopped by statefun (shutdown, or removed from statefun.yaml)
    // The install step (dev_config.h InstallStep), before the command starts:
    kInstalling,       // pid, detail = the step's command, reason = why it runs
    kInstallProgress,  // elapsed so far, detail = its last output line (may be empty)
    kInstalled,        // elapsed
    kInstallFailed,    // status, elapsed, last_lines; it runs again when a watched file changes
    // `start: on-demand` (dev_config.h ProcessSpec):
    kWaking,       // detail = why it starts now (a message is waiting for it)
    kIdleStopped,  // stopped after `idle_stop` without calls; elapsed = that time
  };
  Kind kind = Kind::kStarted;
  std::string process;
  int pid = 0;
  std::string detail;
  std::optional<ExitStatus> status;
  bool before_ready = false;
  std::chrono::milliseconds elapsed{0};
  std::optional<std::chrono::milliseconds> restart_in;
  std::vector<std::string> last_lines;  // its most recent output, oldest first
  std::string reason;                   // kInstalling: "its inputs changed", ...
};

// What `statefun status` shows of one process.
struct ProcessStatus {
  std::string name;
  std::string command;
  // "installing" (its install step runs), "install_failed" (waiting for a
  // fix), "starting" (not ready yet), "ready", "not_ready" (late), "running"
  // (no readiness probe), "exited" (waiting to restart), "cannot_start",
  // "restarting", "stopped", "idle" (`start: on-demand`: down until a
  // message for it is due).
  std::string state = "starting";
  int pid = 0;       // 0 while none runs
  int restarts = 0;  // starts after the first
  // Why it last exited ("code 1 before it was ready", "SIGKILL", or why it
  // could not start); empty when it never did.
  std::string last_exit;
  int64_t last_exit_at_ms = 0;  // wall clock ms; 0: never
};

class ProcessObserver {
 public:
  virtual ~ProcessObserver() = default;
  // One line of output, without its newline.
  virtual void on_output(const std::string& /*process*/, OutputStream, std::string_view /*line*/) {}
  virtual void on_process_event(const ProcessEvent&) {}
  // The process started serving (true) or stopped serving (false): its
  // messages may flow or must wait. Called with false before it starts.
  virtual void on_ready(const std::string& /*process*/, bool /*ready*/) {}
};

struct SupervisorOptions {
  // SIGTERM to SIGKILL when a process is stopped or restarted.
  std::chrono::milliseconds grace{std::chrono::seconds(2)};
  // Restart delay after an exit: doubles from `first_backoff` per exit in a
  // row, up to `max_backoff`; a process that served for `healthy_after`
  // starts over at `first_backoff`.
  std::chrono::milliseconds first_backoff{250};
  std::chrono::milliseconds max_backoff{std::chrono::seconds(15)};
  std::chrono::milliseconds healthy_after{std::chrono::seconds(10)};
  // How often readiness is probed while a process starts.
  std::chrono::milliseconds probe_interval{50};
  // How long a port taken by someone else is waited for before saying so.
  std::chrono::milliseconds port_wait{std::chrono::seconds(1)};
  std::size_t last_lines = 10;
  // Output without a newline is printed as a line once nothing more came
  // for this long (a prompt, or `process.stdout.write` without "\n").
  std::chrono::milliseconds partial_line_flush{200};
  // Recent lines kept per process, with their times, for output_since().
  std::size_t recent_lines = 400;
  // Install steps: where their fingerprints are recorded (install_step.h;
  // empty: a step runs at every start), when a running step first reports
  // its progress and how often after that, how much of a failed step's
  // output is shown, and when a failed step is tried again if no watched
  // file changes first.
  std::string install_records_dir;
  std::chrono::milliseconds install_progress_first{std::chrono::seconds(3)};
  std::chrono::milliseconds install_progress_every{std::chrono::seconds(10)};
  std::size_t install_last_lines = 25;
  std::chrono::milliseconds install_retry{std::chrono::minutes(1)};
};

class Supervisor {
 public:
  explicit Supervisor(ProcessObserver& observer, SupervisorOptions options = {});
  ~Supervisor();  // stop()
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Makes the running set exactly `specs`: starts new processes (reporting
  // them not ready before returning), restarts those whose spec changed
  // (`reason` says why), stops those no longer listed. Unchanged ones keep
  // running.
  void update(const std::vector<ProcessSpec>& specs, const std::string& reason);
  // Restarts one process now (no backoff); unknown names are ignored.
  void restart(const std::string& name, const std::string& reason);
  // `start: on-demand`: starts a process that is down because idle (or is
  // being stopped for it: then it starts again right after). True when it
  // was down or going down; false when it runs already or is unknown.
  bool start_on_demand(const std::string& name, const std::string& reason);
  // Stops a running process until start_on_demand (its gate must be closed
  // first, so no call is cut off): state "idle". `idle_for` is for the console.
  void stop_idle(const std::string& name, std::chrono::milliseconds idle_for);
  // Stops every process and waits for them (at most about `grace` each).
  void stop();

  std::vector<ProcessSpec> specs() const;
  // Every process, in name order.
  std::vector<ProcessStatus> statuses() const;
  // The lines `name` printed at or after `since_ms` (wall clock ms), oldest
  // first, after reading what it wrote and was not read yet (also a line
  // without its newline): what a failed call attaches (call_failure.h).
  std::vector<OutputLine> output_since(const std::string& name, int64_t since_ms) const;

 private:
  class Runner;

  ProcessObserver& m_observer;
  SupervisorOptions m_options;
  mutable Mutex m_mutex;
  std::map<std::string, std::unique_ptr<Runner>> m_runners STATEFUN_GUARDED_BY(m_mutex);
};

}  // namespace statefun::emulator
