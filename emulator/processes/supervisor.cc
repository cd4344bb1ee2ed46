#include "emulator/processes/supervisor.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <deque>
#include <filesystem>
#include <thread>

#include "emulator/config/http_url.h"
#include "emulator/processes/install_step.h"
#include "emulator/processes/ready_probe.h"

namespace statefun::emulator {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t kMaxLine = 16 * 1024;  // longer lines are split
constexpr milliseconds kDrainTime{300};      // output still arriving after an exit
constexpr milliseconds kTcpProbeTimeout{500};
constexpr milliseconds kHttpProbeTimeout{1000};
constexpr milliseconds kLateProbeInterval{500};

int64_t wall_ms() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string exit_reason(const ExitStatus& status, bool before_ready) {
  std::string text = status.signal ? fmt::format("killed by {}", status.str())
                                   : fmt::format("exited with code {}", status.code);
  if (!status.signal && status.code == 127) text += " (the command was not found)";
  if (before_ready) text += " before it was ready";
  return text;
}

milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

std::string probe_host(const ProcessSpec& spec) {
  auto url = parse_url(spec.url);
  return url ? url->host : "localhost";
}

bool has_probe(const ProcessSpec& spec) { return spec.port || !spec.ready.http_url.empty(); }

bool probe(const ProcessSpec& spec) {
  if (!spec.ready.http_url.empty()) return http_ready(spec.ready.http_url, kHttpProbeTimeout);
  return tcp_accepting(probe_host(spec), *spec.port, kTcpProbeTimeout);
}

std::string not_ready_detail(const ProcessSpec& spec) {
  if (!spec.ready.http_url.empty()) {
    return fmt::format("GET {} has not answered with a 2xx or 3xx status", spec.ready.http_url);
  }
  std::string detail =
      fmt::format("nothing accepts connections on {}:{}", probe_host(spec), *spec.port);
  if (auto it = spec.env.find("PORT"); it != spec.env.end()) {
    detail += fmt::format(" (it was started with PORT={}: does it listen there?)", it->second);
  }
  return detail;
}

}  // namespace

class Supervisor::Runner {
 public:
  Runner(ProcessSpec spec, ProcessObserver& observer, const SupervisorOptions& options)
      : m_observer(observer), m_options(options), m_spec(std::move(spec)) {
    m_name = m_spec.name;  // a runner's name never changes
    m_wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m_spec.on_demand) {
      // Idle before the thread runs, so a start_on_demand right after
      // construction is not taken for one of a running process.
      MutexLock lock(m_mutex);
      m_phase = Phase::kIdle;
      m_status.state = "idle";
    }
    m_thread = std::thread([this] { run(); });
  }

  ~Runner() {
    request_stop();
    if (m_thread.joinable()) m_thread.join();
    if (m_wake_fd >= 0) ::close(m_wake_fd);
  }

  ProcessSpec spec() const {
    MutexLock lock(m_mutex);
    return m_spec;
  }

  void restart(std::string reason, std::optional<ProcessSpec> spec = std::nullopt) {
    {
      MutexLock lock(m_mutex);
      if (spec) m_spec = std::move(*spec);
      m_restart = std::move(reason);
    }
    signal();
  }

  void request_stop() {
    {
      MutexLock lock(m_mutex);
      m_stop = true;
    }
    signal();
  }

  // See Supervisor::start_on_demand.
  bool start_on_demand(std::string reason) {
    {
      MutexLock lock(m_mutex);
      if (m_phase == Phase::kRunning) return false;
      m_wake = std::move(reason);
    }
    signal();
    return true;
  }

  void stop_idle(milliseconds idle_for) {
    {
      MutexLock lock(m_mutex);
      if (m_phase != Phase::kRunning) return;
      m_phase = Phase::kGoingIdle;
      m_idle_for = idle_for;
    }
    signal();
  }

  ProcessStatus status() const {
    MutexLock lock(m_mutex);
    ProcessStatus status = m_status;
    status.name = m_spec.name;
    if (status.command.empty()) status.command = m_spec.command;
    return status;
  }

  std::vector<OutputLine> output_since(int64_t since_ms) {
    MutexLock lock(m_output_mutex);
    // The process may have written its last words just before answering:
    // read them now rather than leave them to this thread's next poll.
    for (std::size_t i = 0; i < m_fds.size(); ++i) {
      if (m_fds[i] >= 0) read_output(i);
    }
    flush_partials(Clock::now(), milliseconds(0));
    std::vector<OutputLine> lines;
    for (const auto& line : m_recent) {
      if (line.at_ms >= since_ms) lines.push_back(line);
    }
    return lines;
  }

 private:
  enum class Command { kNone, kRestart, kStop, kGoIdle, kWake };
  enum class Ending { kExited, kCannotStart, kRestart, kStop, kInstallFailed, kIdle };
  // `start: on-demand`: running (or starting), being stopped because idle,
  // or down until a message is due.
  enum class Phase { kRunning, kGoingIdle, kIdle };

  struct Outcome {
    Ending ending = Ending::kExited;
    std::optional<ExitStatus> status;
    bool before_ready = true;
    milliseconds served_for{0};
    std::string detail;        // kCannotStart: why; kRestart: the reason
    bool was_running = false;  // kStop: a live process was stopped
    int pid = 0;
  };

  void signal() {
    const uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(m_wake_fd, &one, sizeof one);
  }

  // One command at a time, stop first. A wake counts only while the process
  // is down or going down (Phase); a going-idle is taken once. Commands
  // asked for together share one signal: when one is taken and another is
  // still waiting, the signal is raised again so the next poll takes it.
  Command take_command(std::string& reason) {
    uint64_t count = 0;
    [[maybe_unused]] auto n = ::read(m_wake_fd, &count, sizeof count);
    MutexLock lock(m_mutex);
    const Command command = next_command(reason);
    const bool more = m_restart || (m_phase == Phase::kGoingIdle && !m_idle_taken) ||
                      (m_wake && m_phase == Phase::kIdle);
    if (command != Command::kNone && command != Command::kStop && more) signal();
    return command;
  }

  Command next_command(std::string& reason) STATEFUN_REQUIRES(m_mutex) {
    if (m_stop) return Command::kStop;
    if (m_restart) {
      reason = std::move(*m_restart);
      m_restart.reset();
      return Command::kRestart;
    }
    if (m_phase == Phase::kGoingIdle && !m_idle_taken) {
      m_idle_taken = true;
      return Command::kGoIdle;
    }
    if (m_wake && m_phase == Phase::kIdle) {
      reason = std::move(*m_wake);
      m_wake.reset();
      return Command::kWake;
    }
    // Running: nothing to wake. Going idle: kept for go_idle(), which starts
    // it again once it is down.
    if (m_phase == Phase::kRunning) m_wake.reset();
    return Command::kNone;
  }

  // Sleeps up to `timeout` unless a command arrives first.
  Command wait_for_command(milliseconds timeout, std::string& reason) {
    Command command = take_command(reason);
    if (command != Command::kNone) return command;
    pollfd p{m_wake_fd, POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(timeout.count()));
    return take_command(reason);
  }

  void emit(ProcessEvent event) {
    event.process = m_name;
    record(event);
    m_observer.on_process_event(event);
  }

  // What statuses() reports, from the events as they happen.
  void record(const ProcessEvent& event) {
    using Kind = ProcessEvent::Kind;
    MutexLock lock(m_mutex);
    switch (event.kind) {
      case Kind::kStarted:
        if (m_started_once) ++m_status.restarts;
        m_started_once = true;
        m_status.state = "starting";
        m_status.pid = event.pid;
        m_status.command = event.detail;
        break;
      case Kind::kReady:
        break;  // set once the gate is open (supervise)
      case Kind::kNotReady:
        m_status.state = "not_ready";
        break;
      case Kind::kExited:
        m_status.state = "exited";
        m_status.pid = 0;
        if (event.status) m_status.last_exit = exit_reason(*event.status, event.before_ready);
        m_status.last_exit_at_ms = wall_ms();
        break;
      case Kind::kRestarting:
        m_status.state = "restarting";
        break;
      case Kind::kCannotStart:
        m_status.state = "cannot_start";
        m_status.pid = 0;
        m_status.last_exit = "cannot start: " + event.detail;
        m_status.last_exit_at_ms = wall_ms();
        break;
      case Kind::kStopped:
        m_status.state = "stopped";
        m_status.pid = 0;
        break;
      case Kind::kInstalling:
        m_status.state = "installing";
        m_status.pid = event.pid;
        break;
      case Kind::kInstallProgress:
      case Kind::kInstalled:
        break;
      case Kind::kWaking:
        m_status.state = "starting";
        break;
      case Kind::kIdleStopped:
        m_status.state = "idle";
        m_status.pid = 0;
        break;
      case Kind::kInstallFailed:
        m_status.state = "install_failed";
        m_status.pid = 0;
        if (event.status) {
          m_status.last_exit = "install step: " + exit_reason(*event.status, false);
        }
        m_status.last_exit_at_ms = wall_ms();
        break;
    }
  }

  void run() {
    int exits_in_a_row = 0;
    for (;;) {
      if (phase() == Phase::kIdle) {
        if (!wait_for_wake()) return;
        exits_in_a_row = 0;
      }
      Outcome outcome = run_once();
      if (outcome.ending == Ending::kStop) {
        if (outcome.was_running) emit({.kind = ProcessEvent::Kind::kStopped});
        return;
      }
      if (outcome.ending == Ending::kRestart) {
        exits_in_a_row = 0;
        continue;
      }
      if (outcome.ending == Ending::kIdle) {
        go_idle();
        continue;
      }
      if (outcome.ending == Ending::kInstallFailed) {
        // Trying again at once would fail the same way: wait for a fix
        // (a watched file changes) or, failing that, a while.
        std::string reason;
        Command command = Command::kNone;
        do {
          command = wait_for_command(m_options.install_retry, reason);
          if (command == Command::kGoIdle) cancel_idle();  // it never served
        } while (command == Command::kGoIdle);
        if (command == Command::kStop) return;
        emit({.kind = ProcessEvent::Kind::kRestarting,
              .detail = command == Command::kRestart ? reason : "trying its install again"});
        continue;
      }
      if (outcome.served_for >= m_options.healthy_after) exits_in_a_row = 0;
      ++exits_in_a_row;
      const int doublings = std::min(exits_in_a_row - 1, 16);
      const milliseconds delay =
          std::min(m_options.first_backoff * (int64_t{1} << doublings), m_options.max_backoff);
      ProcessEvent event;
      event.kind = outcome.ending == Ending::kExited ? ProcessEvent::Kind::kExited
                                                     : ProcessEvent::Kind::kCannotStart;
      event.status = outcome.status;
      event.before_ready = outcome.before_ready;
      event.detail = outcome.detail;
      event.restart_in = delay;
      event.pid = outcome.pid;
      if (outcome.before_ready) event.last_lines = last_lines();
      emit(std::move(event));

      std::string reason;
      const Command command = wait_for_command(delay, reason);
      if (command == Command::kStop) return;
      if (command == Command::kRestart) {
        emit({.kind = ProcessEvent::Kind::kRestarting, .detail = reason});
        exits_in_a_row = 0;
      }
      if (command == Command::kGoIdle) go_idle();  // nothing runs: down at once
    }
  }

  Phase phase() const {
    MutexLock lock(m_mutex);
    return m_phase;
  }

  // A going-idle that cannot happen now (installing, restarting): forgotten.
  void cancel_idle() {
    MutexLock lock(m_mutex);
    if (m_phase == Phase::kGoingIdle) m_phase = Phase::kRunning;
    m_idle_taken = false;
  }

  // The process is down after stop_idle: idle until a wake, unless one came
  // while it went down (its message is waiting: start again at once).
  void go_idle() {
    std::optional<std::string> woken;
    milliseconds idle_for{0};
    {
      MutexLock lock(m_mutex);
      m_idle_taken = false;
      idle_for = m_idle_for;
      woken = std::move(m_wake);
      m_wake.reset();
      m_phase = woken ? Phase::kRunning : Phase::kIdle;
    }
    emit({.kind = ProcessEvent::Kind::kIdleStopped, .elapsed = idle_for});
    if (woken) emit({.kind = ProcessEvent::Kind::kWaking, .detail = *woken});
  }

  // Idle (`start: on-demand`): waits for a wake. False: stop instead.
  bool wait_for_wake() {
    for (;;) {
      std::string reason;
      const Command command = wait_for_command(milliseconds(-1), reason);
      if (command == Command::kStop) return false;
      if (command == Command::kWake || (command == Command::kRestart && !spec().on_demand)) {
        {
          MutexLock lock(m_mutex);
          m_phase = Phase::kRunning;
        }
        emit({.kind = ProcessEvent::Kind::kWaking,
              .detail = command == Command::kWake ? reason : "no longer started on demand"});
        return true;
      }
      // A restart of an idle process (a file changed): the next start
      // runs the new code anyway.
    }
  }

  // Waits (briefly) for someone else's server to leave the port: a process
  // we just stopped may take a moment to let go of it.
  std::optional<Outcome> wait_for_free_port(const ProcessSpec& spec) {
    if (!spec.port) return std::nullopt;
    const auto start = Clock::now();
    while (tcp_accepting(probe_host(spec), *spec.port, kTcpProbeTimeout)) {
      std::string reason;
      const Command command = wait_for_command(milliseconds(50), reason);
      if (command == Command::kStop) return Outcome{.ending = Ending::kStop};
      if (command == Command::kRestart) return Outcome{.ending = Ending::kRestart};
      if (command == Command::kGoIdle) cancel_idle();
      if (since(start) >= m_options.port_wait) {
        return Outcome{.ending = Ending::kCannotStart,
                       .detail = fmt::format("port {} is already in use by another process; {} "
                                             "is not started until the port is free",
                                             *spec.port, spec.name)};
      }
    }
    return std::nullopt;
  }

  Outcome run_once() {
    const ProcessSpec spec = this->spec();
    {
      MutexLock lock(m_output_mutex);
      m_last_lines.clear();
    }
    {
      MutexLock lock(m_mutex);
      m_restart.reset();  // whatever asked for a restart gets this start
      if (m_stop) return {.ending = Ending::kStop};
    }
    std::error_code ec;
    if (!std::filesystem::is_directory(spec.working_dir, ec)) {
      return {.ending = Ending::kCannotStart,
              .detail = fmt::format("its working directory {} does not exist", spec.working_dir)};
    }
    if (!spec.install.command.empty()) {
      if (auto ended = install(spec)) return *ended;
      MutexLock lock(m_output_mutex);
      m_last_lines.clear();  // the command's own lines from here
    }
    if (auto busy = wait_for_free_port(spec)) return *busy;

    auto spawned = KeptProcess::spawn({spec.command, spec.working_dir, spec.env, m_options.grace});
    if (!spawned) return {.ending = Ending::kCannotStart, .detail = spawned.error().message};
    KeptProcess& process = *spawned;
    emit({.kind = ProcessEvent::Kind::kStarted, .pid = process.pid(), .detail = spec.command});
    return supervise(spec, process);
  }

  // Runs the install step until its recorded fingerprint is that of the
  // inputs as they are (they may change while it runs). nullopt: go on and
  // start the command.
  std::optional<Outcome> install(const ProcessSpec& spec) {
    const InstallRecords records(m_options.install_records_dir);
    const bool remembered = !m_options.install_records_dir.empty();
    std::optional<std::string> last = remembered ? records.last(spec.name) : std::nullopt;
    for (;;) {
      const std::string fingerprint = install_fingerprint(spec);
      if (last == fingerprint) return std::nullopt;
      auto ended = run_install(spec, last ? "its inputs changed" : "no install recorded yet");
      if (ended) return ended;
      last = fingerprint;
      if (remembered) {
        if (auto r = records.record(spec.name, fingerprint); !r) {
          m_observer.on_output(m_name, OutputStream::kStderr, r.error().message);
        }
      }
      if (!remembered) return std::nullopt;
    }
  }

  std::optional<Outcome> run_install(const ProcessSpec& spec, const char* reason) {
    {
      MutexLock lock(m_output_mutex);
      m_last_lines.clear();
    }
    auto spawned =
        KeptProcess::spawn({spec.install.command, spec.working_dir, spec.env, m_options.grace});
    if (!spawned) return Outcome{.ending = Ending::kCannotStart, .detail = spawned.error().message};
    KeptProcess& process = *spawned;
    emit({.kind = ProcessEvent::Kind::kInstalling,
          .pid = process.pid(),
          .detail = spec.install.command,
          .reason = reason});
    {
      MutexLock lock(m_output_mutex);
      m_installing = true;
      m_fds = {process.stdout_fd(), process.stderr_fd()};
      for (int fd : m_fds) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
    const auto started = Clock::now();
    auto next_progress = started + m_options.install_progress_first;
    std::optional<Ending> stopping;
    std::optional<ExitStatus> status;
    while (!status) {
      std::array<int, 2> outputs;
      {
        MutexLock lock(m_output_mutex);
        outputs = m_fds;
      }
      std::array<pollfd, 4> fds = {pollfd{outputs[0], POLLIN, 0}, pollfd{outputs[1], POLLIN, 0},
                                   pollfd{m_wake_fd, POLLIN, 0},
                                   pollfd{process.exit_fd(), POLLIN, 0}};
      const auto wait = std::chrono::duration_cast<milliseconds>(next_progress - Clock::now());
      int timeout = static_cast<int>(std::max<int64_t>(0, wait.count()));
      if (process.exit_fd() < 0) timeout = std::min(timeout, 100);
      ::poll(fds.data(), fds.size(), timeout);
      std::string last_line;  // a partial one too: a progress bar has no newline
      {
        MutexLock lock(m_output_mutex);
        for (std::size_t i = 0; i < outputs.size(); ++i) {
          if (fds[i].revents && m_fds[i] >= 0) read_output(i);
        }
        last_line = !m_partial[0].empty()   ? m_partial[0]
                    : !m_partial[1].empty() ? m_partial[1]
                    : m_last_lines.empty()  ? std::string()
                                            : m_last_lines.back();
      }
      if (fds[2].revents) {
        std::string why;
        const Command command = take_command(why);
        // A saved source file while `npm install` runs needs no new install:
        // the command starts with it anyway. A new step (statefun.yaml
        // changed) or a stop does.
        if (command == Command::kGoIdle) cancel_idle();  // not serving yet
        if (command == Command::kStop && stopping != Ending::kStop) {
          stopping = Ending::kStop;
          process.stop();
        } else if (command == Command::kRestart && !stopping && this->spec() != spec) {
          emit({.kind = ProcessEvent::Kind::kRestarting, .detail = why});
          stopping = Ending::kRestart;
          process.stop();
        }
      }
      status = process.try_reap();
      if (!status && !stopping && Clock::now() >= next_progress) {
        emit({.kind = ProcessEvent::Kind::kInstallProgress,
              .pid = process.pid(),
              .detail = last_line,
              .elapsed = since(started)});
        next_progress = Clock::now() + m_options.install_progress_every;
      }
    }
    drain();
    process.close_output();
    std::vector<std::string> lines;
    {
      MutexLock lock(m_output_mutex);
      m_installing = false;
      lines = {m_last_lines.begin(), m_last_lines.end()};
    }
    if (stopping) return Outcome{.ending = *stopping, .was_running = true};
    if (status->code == 0 && status->signal == 0) {
      emit({.kind = ProcessEvent::Kind::kInstalled,
            .pid = process.pid(),
            .elapsed = since(started)});
      return std::nullopt;
    }
    emit({.kind = ProcessEvent::Kind::kInstallFailed,
          .pid = process.pid(),
          .status = status,
          .elapsed = since(started),
          .restart_in = m_options.install_retry,
          .last_lines = std::move(lines)});
    return Outcome{.ending = Ending::kInstallFailed};
  }

  Outcome supervise(const ProcessSpec& spec, KeptProcess& process) {
    const auto started = Clock::now();
    auto ready_at = started;
    bool ready = !has_probe(spec);  // nothing to wait for
    if (ready) {
      // The gate first, the status after: whoever sees "running" in the
      // status and then sends finds the gate open (see kReady below).
      m_observer.on_ready(spec.name, true);
      MutexLock lock(m_mutex);
      m_status.state = "running";
    }
    bool reported_not_ready = false;
    auto next_probe = started + m_options.probe_interval;
    std::optional<Ending> stopping;
    std::optional<ExitStatus> status;
    {
      MutexLock lock(m_output_mutex);
      m_fds = {process.stdout_fd(), process.stderr_fd()};
      // Non-blocking: output_since() may read them from another thread
      // between this thread's poll and its read.
      for (int fd : m_fds) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    }

    while (!status) {
      std::array<int, 2> outputs;
      std::optional<Clock::time_point> partial_due;
      {
        MutexLock lock(m_output_mutex);
        outputs = m_fds;
        partial_due = next_partial_flush();
      }
      std::array<pollfd, 4> fds = {pollfd{outputs[0], POLLIN, 0}, pollfd{outputs[1], POLLIN, 0},
                                   pollfd{m_wake_fd, POLLIN, 0},
                                   pollfd{process.exit_fd(), POLLIN, 0}};
      int timeout = process.exit_fd() < 0 ? 100 : -1;
      auto bound = [&timeout](Clock::time_point due) {
        const auto wait = std::chrono::duration_cast<milliseconds>(due - Clock::now());
        const int ms = static_cast<int>(std::max<int64_t>(0, wait.count()));
        timeout = timeout < 0 ? ms : std::min(timeout, ms);
      };
      if (!ready && !stopping) bound(next_probe);
      if (partial_due) bound(*partial_due);
      ::poll(fds.data(), fds.size(), timeout);
      {
        MutexLock lock(m_output_mutex);
        for (std::size_t i = 0; i < outputs.size(); ++i) {
          if (fds[i].revents && m_fds[i] >= 0) read_output(i);
        }
        flush_partials(Clock::now(), m_options.partial_line_flush);
      }
      if (fds[2].revents) {
        std::string reason;
        const Command command = take_command(reason);
        if (command == Command::kGoIdle) {
          if (stopping) {
            cancel_idle();  // it goes down for another reason
          } else {
            stopping = Ending::kIdle;
            m_observer.on_ready(spec.name, false);
            process.stop();
          }
        } else if ((command == Command::kStop || command == Command::kRestart) &&
                   stopping != Ending::kStop) {
          if (command == Command::kRestart && !stopping) {
            emit({.kind = ProcessEvent::Kind::kRestarting, .detail = reason});
          }
          if (stopping == Ending::kIdle) cancel_idle();
          stopping = command == Command::kStop ? Ending::kStop : Ending::kRestart;
          m_observer.on_ready(spec.name, false);
          process.stop();
        }
      }
      status = process.try_reap();
      if (status || ready || stopping || Clock::now() < next_probe) continue;
      if (probe(spec)) {
        ready = true;
        ready_at = Clock::now();
        emit({.kind = ProcessEvent::Kind::kReady, .pid = process.pid(), .elapsed = since(started)});
        m_observer.on_ready(spec.name, true);
        // Only now "ready" in the status: a client that polls the status
        // until ready and then sends (statefun test, scripts) must find the
        // gate already open, or its messages could wait behind a clock
        // advance it sends next (record() leaves kReady to this line).
        MutexLock lock(m_mutex);
        m_status.state = "ready";
      } else {
        // Once it is late, a slower pace: it may take minutes (a first build).
        next_probe =
            Clock::now() + (reported_not_ready ? kLateProbeInterval : m_options.probe_interval);
        if (!reported_not_ready && since(started) >= spec.ready.timeout) {
          reported_not_ready = true;
          emit({.kind = ProcessEvent::Kind::kNotReady,
                .pid = process.pid(),
                .detail = not_ready_detail(spec),
                .elapsed = since(started),
                .last_lines = last_lines()});
        }
      }
    }
    drain();
    process.close_output();
    if (!stopping) m_observer.on_ready(spec.name, false);
    Outcome outcome;
    outcome.ending = stopping.value_or(Ending::kExited);
    outcome.status = status;
    outcome.before_ready = !ready;
    outcome.served_for = ready ? since(ready_at) : milliseconds(0);
    outcome.was_running = true;
    outcome.pid = process.pid();
    return outcome;
  }

  std::vector<std::string> last_lines() {
    MutexLock lock(m_output_mutex);
    return {m_last_lines.begin(), m_last_lines.end()};
  }

  // What the process printed before it exited but we have not read yet.
  void drain() {
    const auto until = Clock::now() + kDrainTime;
    for (;;) {
      std::array<int, 2> outputs;
      {
        MutexLock lock(m_output_mutex);
        outputs = m_fds;
      }
      if ((outputs[0] < 0 && outputs[1] < 0) || Clock::now() >= until) break;
      std::array<pollfd, 2> fds = {pollfd{outputs[0], POLLIN, 0}, pollfd{outputs[1], POLLIN, 0}};
      const auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now());
      if (::poll(fds.data(), fds.size(), static_cast<int>(std::max<int64_t>(0, left.count()))) <=
          0) {
        break;
      }
      MutexLock lock(m_output_mutex);
      for (std::size_t i = 0; i < outputs.size(); ++i) {
        if (fds[i].revents && m_fds[i] >= 0) read_output(i);
      }
    }
    MutexLock lock(m_output_mutex);
    flush_partials(Clock::now(), milliseconds(0));
    m_fds = {-1, -1};  // the process object closes them
  }

  // Reads what is there; sets the fd to -1 at EOF (it stays open until the
  // process object closes it).
  void read_output(std::size_t index) STATEFUN_REQUIRES(m_output_mutex) {
    const auto stream = static_cast<OutputStream>(index);
    std::array<char, 65536> buffer;
    const ssize_t n = ::read(m_fds[index], buffer.data(), buffer.size());
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
      m_fds[index] = -1;
      return;
    }
    std::string& partial = m_partial[index];
    for (ssize_t i = 0; i < n; ++i) {
      const char c = buffer[static_cast<std::size_t>(i)];
      if (c == '\n' || partial.size() >= kMaxLine) {
        if (!partial.empty() && partial.back() == '\r') partial.pop_back();
        line(stream, std::move(partial));
        partial.clear();
        if (c == '\n') continue;
      }
      if (partial.empty()) m_partial_since[index] = Clock::now();
      partial += c;
    }
  }

  // When the oldest partial line is due to be printed; nullopt when none waits.
  std::optional<Clock::time_point> next_partial_flush() const STATEFUN_REQUIRES(m_output_mutex) {
    std::optional<Clock::time_point> due;
    for (std::size_t i = 0; i < m_partial.size(); ++i) {
      if (m_partial[i].empty()) continue;
      const auto at = m_partial_since[i] + m_options.partial_line_flush;
      if (!due || at < *due) due = at;
    }
    return due;
  }

  // Prints a line that has waited `after` for its newline as it is.
  void flush_partials(Clock::time_point now, milliseconds after) STATEFUN_REQUIRES(m_output_mutex) {
    for (std::size_t i = 0; i < m_partial.size(); ++i) {
      if (m_partial[i].empty() || now - m_partial_since[i] < after) continue;
      std::string text = std::move(m_partial[i]);
      m_partial[i].clear();
      if (!text.empty() && text.back() == '\r') text.pop_back();
      line(static_cast<OutputStream>(i), std::move(text));
    }
  }

  // An install step's lines are kept for its progress and failure reports,
  // not printed one by one.
  void line(OutputStream stream, std::string text) STATEFUN_REQUIRES(m_output_mutex) {
    if (!m_installing) m_observer.on_output(m_name, stream, text);
    m_recent.push_back({wall_ms(), stream == OutputStream::kStderr, text});
    while (m_recent.size() > m_options.recent_lines) m_recent.pop_front();
    m_last_lines.push_back(std::move(text));
    const std::size_t keep = m_installing ? m_options.install_last_lines : m_options.last_lines;
    while (m_last_lines.size() > keep) m_last_lines.pop_front();
  }

  ProcessObserver& m_observer;
  const SupervisorOptions& m_options;
  int m_wake_fd = -1;  // eventfd: a command is waiting

  mutable Mutex m_mutex;
  ProcessSpec m_spec STATEFUN_GUARDED_BY(m_mutex);
  bool m_stop STATEFUN_GUARDED_BY(m_mutex) = false;
  std::optional<std::string> m_restart STATEFUN_GUARDED_BY(m_mutex);  // the reason
  // `start: on-demand` (start_on_demand, stop_idle).
  Phase m_phase STATEFUN_GUARDED_BY(m_mutex) = Phase::kRunning;
  bool m_idle_taken STATEFUN_GUARDED_BY(m_mutex) = false;          // kGoIdle handed out
  milliseconds m_idle_for STATEFUN_GUARDED_BY(m_mutex){0};         // for the console
  std::optional<std::string> m_wake STATEFUN_GUARDED_BY(m_mutex);  // why it starts
  ProcessStatus m_status STATEFUN_GUARDED_BY(m_mutex);
  bool m_started_once STATEFUN_GUARDED_BY(m_mutex) = false;

  // The output: read by the runner thread, and by output_since() callers.
  mutable Mutex m_output_mutex;
  std::array<int, 2> m_fds STATEFUN_GUARDED_BY(m_output_mutex) = {-1, -1};  // stdout, stderr
  std::array<std::string, 2> m_partial STATEFUN_GUARDED_BY(m_output_mutex);
  std::array<Clock::time_point, 2> m_partial_since STATEFUN_GUARDED_BY(m_output_mutex);
  std::deque<std::string> m_last_lines STATEFUN_GUARDED_BY(m_output_mutex);
  std::deque<OutputLine> m_recent STATEFUN_GUARDED_BY(m_output_mutex);
  bool m_installing STATEFUN_GUARDED_BY(m_output_mutex) = false;  // the install step's output

  std::string m_name;    // set before the thread starts, never changed
  std::thread m_thread;  // last: starts once everything above exists
};

Supervisor::Supervisor(ProcessObserver& observer, SupervisorOptions options)
    : m_observer(observer), m_options(options) {}

Supervisor::~Supervisor() { stop(); }

void Supervisor::update(const std::vector<ProcessSpec>& specs, const std::string& reason) {
  std::vector<std::unique_ptr<Runner>> removed;
  {
    MutexLock lock(m_mutex);
    for (auto it = m_runners.begin(); it != m_runners.end();) {
      const bool listed = std::ranges::any_of(
          specs, [&](const ProcessSpec& spec) { return spec.name == it->first; });
      if (listed) {
        ++it;
        continue;
      }
      it->second->request_stop();
      removed.push_back(std::move(it->second));
      it = m_runners.erase(it);
    }
    for (const auto& spec : specs) {
      auto it = m_runners.find(spec.name);
      if (it == m_runners.end()) {
        m_observer.on_ready(spec.name, false);
        m_runners.emplace(spec.name, std::make_unique<Runner>(spec, m_observer, m_options));
      } else if (it->second->spec() != spec) {
        it->second->restart(reason, spec);
      }
    }
  }
  removed.clear();  // joins them, outside the lock
}

void Supervisor::restart(const std::string& name, const std::string& reason) {
  MutexLock lock(m_mutex);
  if (auto it = m_runners.find(name); it != m_runners.end()) it->second->restart(reason);
}

bool Supervisor::start_on_demand(const std::string& name, const std::string& reason) {
  MutexLock lock(m_mutex);
  auto it = m_runners.find(name);
  return it != m_runners.end() && it->second->start_on_demand(reason);
}

void Supervisor::stop_idle(const std::string& name, std::chrono::milliseconds idle_for) {
  MutexLock lock(m_mutex);
  if (auto it = m_runners.find(name); it != m_runners.end()) it->second->stop_idle(idle_for);
}

void Supervisor::stop() {
  std::map<std::string, std::unique_ptr<Runner>> runners;
  {
    MutexLock lock(m_mutex);
    runners = std::move(m_runners);
    m_runners.clear();
  }
  // Ask them all first so they stop in parallel, then wait for each.
  for (auto& [name, runner] : runners) runner->request_stop();
  runners.clear();
}

std::vector<ProcessStatus> Supervisor::statuses() const {
  MutexLock lock(m_mutex);
  std::vector<ProcessStatus> out;
  for (const auto& [name, runner] : m_runners) out.push_back(runner->status());
  return out;
}

std::vector<OutputLine> Supervisor::output_since(const std::string& name, int64_t since_ms) const {
  MutexLock lock(m_mutex);
  auto it = m_runners.find(name);
  if (it == m_runners.end()) return {};
  return it->second->output_since(since_ms);
}

std::vector<ProcessSpec> Supervisor::specs() const {
  MutexLock lock(m_mutex);
  std::vector<ProcessSpec> out;
  for (const auto& [name, runner] : m_runners) out.push_back(runner->spec());
  return out;
}

}  // namespace statefun::emulator
