#include "emulator/processes/supervisor.h"

#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "emulator/console/console.h"
#include "emulator/processes/install_step.h"
#include "emulator/processes/process_keeper.h"

namespace statefun::emulator {
namespace {

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using Kind = ProcessEvent::Kind;
using std::chrono::milliseconds;

constexpr auto kWait = std::chrono::seconds(15);

// Everything a supervisor reports, for tests to wait on.
class Recorder final : public ProcessObserver {
 public:
  struct Line {
    std::string process;
    OutputStream stream;
    std::string text;
  };

  void on_output(const std::string& process, OutputStream stream, std::string_view line) override {
    std::lock_guard lock(m_mutex);
    lines.push_back({process, stream, std::string(line)});
    m_changed.notify_all();
  }
  void on_process_event(const ProcessEvent& event) override {
    std::lock_guard lock(m_mutex);
    events.push_back(event);
    m_changed.notify_all();
  }
  void on_ready(const std::string&, bool ready) override {
    std::lock_guard lock(m_mutex);
    readiness.push_back(ready);
    m_changed.notify_all();
  }

  // Waits until `done` holds (checked under the lock); false on timeout.
  bool wait(const std::function<bool()>& done) {
    std::unique_lock lock(m_mutex);
    return m_changed.wait_for(lock, kWait, done);
  }
  int count(Kind kind) {
    return static_cast<int>(std::ranges::count(events, kind, &ProcessEvent::kind));
  }
  int count_now(Kind kind) {  // while the supervisor still runs
    std::lock_guard lock(m_mutex);
    return count(kind);
  }
  std::optional<ProcessEvent> first(Kind kind) {
    std::lock_guard lock(m_mutex);
    auto it = std::ranges::find(events, kind, &ProcessEvent::kind);
    return it == events.end() ? std::nullopt : std::optional(*it);
  }

  std::vector<Line> lines;
  std::vector<ProcessEvent> events;
  std::vector<bool> readiness;

 private:
  std::mutex m_mutex;
  std::condition_variable m_changed;
};

ProcessSpec shell(std::string name, std::string command) {
  ProcessSpec spec;
  spec.name = std::move(name);
  spec.command = std::move(command);
  spec.working_dir = fs::temp_directory_path().string();
  return spec;
}

SupervisorOptions fast() {
  SupervisorOptions options;
  options.first_backoff = milliseconds(50);
  options.grace = milliseconds(500);
  options.port_wait = milliseconds(100);
  return options;
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

// A process that listens on `port` (python3 is part of the build image).
std::string listener_command(int port) {
  return "exec python3 -c \"import socket,time; s=socket.socket(); "
         "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', " +
         std::to_string(port) + ")); s.listen(); print('listening', flush=True); time.sleep(60)\"";
}

// Processes of group `pgid` that are still alive (zombies do not count).
int live_members(pid_t pgid) {
  int live = 0;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    int ppid = 0, pgrp = 0;
    if (std::sscanf(line.c_str() + close + 1, " %c %d %d", &state, &ppid, &pgrp) != 3) continue;
    if (pgrp == pgid && state != 'Z') ++live;
  }
  return live;
}

TEST_CASE("supervisor: output arrives line by line and an exit is followed by a restart",
          "[emulator]") {
  Recorder recorder;
  Supervisor supervisor(recorder, fast());
  supervisor.update({shell("echo", "echo hi; echo oops >&2; printf 'no newline'; exit 3")}, "");
  REQUIRE(recorder.wait([&] { return recorder.count(Kind::kStarted) >= 2; }));
  supervisor.stop();

  const auto exited = recorder.first(Kind::kExited);
  REQUIRE(exited.has_value());
  CHECK(exited->process == "echo");
  REQUIRE(exited->status.has_value());
  CHECK(exited->status->code == 3);
  CHECK(exited->restart_in == milliseconds(50));
  CHECK_FALSE(exited->before_ready);  // nothing to wait for: ready once started

  auto has = [&](OutputStream stream, const std::string& text) {
    return std::ranges::any_of(recorder.lines, [&](const Recorder::Line& line) {
      return line.process == "echo" && line.stream == stream && line.text == text;
    });
  };
  CHECK(has(OutputStream::kStdout, "hi"));
  CHECK(has(OutputStream::kStderr, "oops"));
  CHECK(has(OutputStream::kStdout, "no newline"));
}

TEST_CASE("supervisor: restarts back off, doubling", "[emulator]") {
  Recorder recorder;
  Supervisor supervisor(recorder, fast());
  supervisor.update({shell("crash", "exit 1")}, "");
  REQUIRE(recorder.wait([&] { return recorder.count(Kind::kExited) >= 3; }));
  supervisor.stop();
  std::vector<milliseconds> delays;
  for (const auto& e : recorder.events) {
    if (e.kind == Kind::kExited) delays.push_back(*e.restart_in);
  }
  CHECK(delays[0] == milliseconds(50));
  CHECK(delays[1] == milliseconds(100));
  CHECK(delays[2] == milliseconds(200));
}

TEST_CASE("supervisor: a process that exits before it is ready shows its last lines",
          "[emulator]") {
  Recorder recorder;
  Supervisor supervisor(recorder, fast());
  ProcessSpec spec = shell("early", "for i in $(seq 1 12); do echo line $i; done; exit 1");
  spec.port = free_port();  // never listened on
  supervisor.update({spec}, "");
  REQUIRE(recorder.wait([&] { return recorder.count(Kind::kExited) >= 1; }));
  supervisor.stop();
  const auto exited = recorder.first(Kind::kExited);
  CHECK(exited->before_ready);
  REQUIRE(exited->last_lines.size() == 10);
  CHECK(exited->last_lines.front() == "line 3");
  CHECK(exited->last_lines.back() == "line 12");
}

TEST_CASE("supervisor: a command that does not exist exits with 127 and says so", "[emulator]") {
  Recorder recorder;
  Supervisor supervisor(recorder, fast());
  ProcessSpec spec = shell("missing", "no-such-command-for-statefun-tests --flag");
  spec.port = free_port();
  supervisor.update({spec}, "");
  REQUIRE(recorder.wait([&] { return recorder.count(Kind::kExited) >= 1; }));
  supervisor.stop();
  const auto exited = recorder.first(Kind::kExited);
  CHECK(exited->status->code == 127);
  REQUIRE_FALSE(exited->last_lines.empty());
  CHECK_THAT(exited->last_lines.back(), Contains("not found"));
}

TEST_CASE(
    "supervisor: a process is ready once it accepts connections, and a restart closes "
    "its gate until the new one is",
    "[emulator]") {
  Recorder recorder;
  Supervisor supervisor(recorder, fast());
  const int port = free_port();
  ProcessSpec spec = shell("server", listener_command(port));
  spec.port = port;
  supervisor.update({spec}, "");
  REQUIRE(recorder.wait([&] { return recorder.count(Kind::kReady) >= 1; }));
  const int first_pid = recorder.first(Kind::kStarted)->pid;

  supervisor.restart("server", "server.py changed");
  REQUIRE(recorder.wait([&] { return recorder.count(Kind::kReady) >= 2; }));
  supervisor.stop();

  CHECK(recorder.readiness == std::vector<bool>{false, true, false, true, false});
  const auto restarting = recorder.first(Kind::kRestarting);
  REQUIRE(restarting.has_value());
  CHECK(restarting->detail == "server.py changed");
  int second_pid = 0;
  for (const auto& e : recorder.events) {
    if (e.kind == Kind::kStarted) second_pid = e.pid;
  }
  CHECK(second_pid != first_pid);
  CHECK(live_members(first_pid) == 0);
  CHECK(live_members(second_pid) == 0);
  CHECK(recorder.count(Kind::kStopped) == 1);
}

// What the status said while the gate was being opened: a client that polls
// the status until "ready" and then sends must find the gate open already.
class GateWatcher final : public ProcessObserver {
 public:
  void on_ready(const std::string& process, bool ready) override {
    if (!ready) return;
    std::string state;
    for (const auto& status : supervisor->statuses()) {
      if (status.name == process) state = status.state;
    }
    std::lock_guard lock(m_mutex);
    state_at_open[process] = state;
    m_changed.notify_all();
  }
  bool wait_for_opens(std::size_t count) {
    std::unique_lock lock(m_mutex);
    return m_changed.wait_for(lock, kWait, [&] { return state_at_open.size() >= count; });
  }
  std::string state_when_opened(const std::string& process) {
    std::lock_guard lock(m_mutex);
    return state_at_open[process];
  }

  Supervisor* supervisor = nullptr;

 private:
  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::map<std::string, std::string> state_at_open;
};

TEST_CASE("supervisor: the status says ready or running only once the gate is open", "[emulator]") {
  GateWatcher watcher;
  Supervisor supervisor(watcher, fast());
  watcher.supervisor = &supervisor;
  const int port = free_port();
  ProcessSpec probed = shell("probed", listener_command(port));
  probed.port = port;
  supervisor.update({probed, shell("plain", "sleep 30")}, "");
  REQUIRE(watcher.wait_for_opens(2));
  CHECK(watcher.state_when_opened("probed") == "starting");
  CHECK(watcher.state_when_opened("plain") == "starting");
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  auto state_of = [&](const std::string& name) {
    for (const auto& status : supervisor.statuses()) {
      if (status.name == name) return status.state;
    }
    return std::string();
  };
  while ((state_of("probed") != "ready" || state_of("plain") != "running") &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  CHECK(state_of("probed") == "ready");
  CHECK(state_of("plain") == "running");
  supervisor.stop();
}

TEST_CASE("supervisor: a process that never gets ready is reported once its timeout passes",
          "[emulator]") {
  Recorder recorder;
  Supervisor supervisor(recorder, fast());
  ProcessSpec spec = shell("slow", "echo booting; sleep 60");
  spec.port = free_port();
  spec.env["PORT"] = std::to_string(*spec.port);
  spec.ready.timeout = milliseconds(200);
  supervisor.update({spec}, "");
  REQUIRE(recorder.wait([&] { return recorder.count(Kind::kNotReady) >= 1; }));
  supervisor.stop();
  const auto not_ready = recorder.first(Kind::kNotReady);
  CHECK_THAT(not_ready->detail, Contains("nothing accepts connections on localhost:"));
  CHECK_THAT(not_ready->detail, Contains("PORT="));
  CHECK(not_ready->last_lines == std::vector<std::string>{"booting"});
}

TEST_CASE("supervisor: a port someone else holds is named and the process is not started",
          "[emulator]") {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(fd, 4) == 0);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  const int port = ntohs(address.sin_port);

  Recorder recorder;
  Supervisor supervisor(recorder, fast());
  ProcessSpec spec = shell("taken", "sleep 60");
  spec.port = port;
  supervisor.update({spec}, "");
  REQUIRE(recorder.wait([&] { return recorder.count(Kind::kCannotStart) >= 1; }));
  supervisor.stop();
  ::close(fd);
  CHECK_THAT(recorder.first(Kind::kCannotStart)->detail,
             Contains(fmt::format("port {} is already in use", port)));
  CHECK(recorder.count(Kind::kStarted) == 0);
}

// A project folder with an install step, for the install tests.
struct Project {
  Project() {
    static int counter = 0;
    dir = fs::temp_directory_path() /
          fmt::format("statefun-supervisor-install-{}-{}", ::getpid(), ++counter);
    fs::remove_all(dir);
    fs::create_directories(dir);
    write("package.json", "{}");
  }
  ~Project() { fs::remove_all(dir); }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(dir / name) << text;
  }
  int installs() const {  // lines the install step appended to installs.txt
    std::ifstream in(dir / "installs.txt");
    return static_cast<int>(std::count(std::istreambuf_iterator<char>(in), {}, '\n'));
  }
  ProcessSpec spec(std::string install) const {
    ProcessSpec spec = shell("functions", "echo serving; sleep 60");
    spec.working_dir = dir.string();
    spec.install.command = std::move(install);
    return spec;
  }
  SupervisorOptions options() const {
    SupervisorOptions options = fast();
    options.install_records_dir = (dir / ".statefun" / "installs").string();
    return options;
  }
  fs::path dir;
};

TEST_CASE("supervisor: an install step runs only when its inputs changed, across restarts",
          "[emulator]") {
  Project project;
  const ProcessSpec spec = project.spec("echo fetching; echo x >> installs.txt");
  {
    Recorder recorder;
    Supervisor supervisor(recorder, project.options());
    supervisor.update({spec}, "");
    REQUIRE(recorder.wait([&] { return recorder.count(Kind::kStarted) == 1; }));
    CHECK(recorder.count_now(Kind::kInstalling) == 1);
    CHECK(recorder.count_now(Kind::kInstalled) == 1);
    CHECK(project.installs() == 1);
    CHECK(recorder.first(Kind::kInstalling)->reason == "no install recorded yet");

    // A hot reload of the code: the command restarts, the install does not run.
    project.write("functions.js", "v2");
    supervisor.restart("functions", "functions.js changed");
    REQUIRE(recorder.wait([&] { return recorder.count(Kind::kStarted) == 2; }));
    CHECK(recorder.count_now(Kind::kInstalling) == 1);

    // A new dependency: it runs again before the command.
    project.write("package.json", R"({"dependencies": {"x": "1"}})");
    supervisor.restart("functions", "package.json changed");
    REQUIRE(recorder.wait([&] { return recorder.count(Kind::kStarted) == 3; }));
    CHECK(recorder.count_now(Kind::kInstalling) == 2);
    CHECK(project.installs() == 2);
    // The command's output is printed (wait for it: it is read on another
    // thread, and a slow build such as ASan's may not have it yet)...
    CHECK(recorder.wait([&] {
      return std::ranges::any_of(recorder.lines, [](const auto& l) { return l.text == "serving"; });
    }));
    supervisor.stop();
    // ...the install's is for its progress and failure reports, not printed line by line.
    CHECK(std::ranges::none_of(recorder.lines, [](const auto& l) { return l.text == "fetching"; }));
  }
  // statefun dev starts again: the fingerprint recorded in the data directory holds.
  Recorder recorder;
  Supervisor supervisor(recorder, project.options());
  supervisor.update({spec}, "");
  REQUIRE(recorder.wait([&] { return recorder.count(Kind::kStarted) == 1; }));
  supervisor.stop();
  CHECK(recorder.count(Kind::kInstalling) == 0);
  CHECK(project.installs() == 2);
}

TEST_CASE("supervisor: a running install reports its progress and its process is not blamed",
          "[emulator]") {
  Project project;
  SupervisorOptions options = project.options();
  options.install_progress_first = milliseconds(20);
  options.install_progress_every = milliseconds(20);
  ProcessSpec spec = project.spec("echo 'resolving packages'; printf 'downloading'; sleep 60");
  spec.port = free_port();
  spec.env["PORT"] = std::to_string(*spec.port);
  spec.ready.timeout = milliseconds(1);  // long over while the install runs
  Recorder recorder;
  Supervisor supervisor(recorder, options);
  supervisor.update({spec}, "");
  // The partial line, as soon as it is there, and how long it has run.
  REQUIRE(recorder.wait([&] {
    return std::ranges::any_of(recorder.events, [](const ProcessEvent& e) {
      return e.kind == Kind::kInstallProgress && e.detail == "downloading";
    });
  }));
  supervisor.stop();
  CHECK(recorder.count(Kind::kNotReady) == 0);
  CHECK(recorder.count(Kind::kStarted) == 0);
  CHECK(recorder.count(Kind::kInstalled) == 0);
  CHECK(recorder.first(Kind::kInstalling)->detail == spec.install.command);
}

TEST_CASE("supervisor: a failed install shows its output and waits for a fix", "[emulator]") {
  Project project;
  Recorder recorder;
  Supervisor supervisor(recorder, project.options());
  supervisor.update({project.spec("echo 'npm ERR! 404 no-such-package' >&2; exit 1")}, "");
  REQUIRE(recorder.wait([&] { return recorder.count(Kind::kInstallFailed) == 1; }));
  const auto failed = recorder.first(Kind::kInstallFailed);
  REQUIRE(failed->status.has_value());
  CHECK(failed->status->code == 1);
  CHECK(failed->last_lines == std::vector<std::string>{"npm ERR! 404 no-such-package"});
  CHECK(recorder.count_now(Kind::kStarted) == 0);

  // Saving a watched file tries it again (and it fails again: nothing recorded).
  supervisor.restart("functions", "package.json changed");
  REQUIRE(recorder.wait([&] { return recorder.count(Kind::kInstallFailed) == 2; }));
  supervisor.stop();
  CHECK(recorder.count(Kind::kStarted) == 0);
  CHECK_FALSE(InstallRecords(project.options().install_records_dir).last("functions"));
}

TEST_CASE("console: an install step's progress and failure", "[emulator]") {
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  {
    Console console({.color = false, .out = out, .err = err});
    console.on_process_event({.kind = Kind::kInstalling,
                              .process = "functions",
                              .detail = "npm install",
                              .reason = "its inputs changed"});
    console.on_process_event({.kind = Kind::kInstallProgress,
                              .process = "functions",
                              .detail = "idealTree: sill",
                              .elapsed = milliseconds(12500)});
    console.on_process_event(
        {.kind = Kind::kInstalled, .process = "functions", .elapsed = milliseconds(14000)});
    console.on_process_event({.kind = Kind::kInstallFailed,
                              .process = "functions",
                              .status = ExitStatus{1, 0},
                              .elapsed = milliseconds(900),
                              .restart_in = milliseconds(60000),
                              .last_lines = {"npm ERR! 404"}});
  }
  auto read = [](std::FILE* f) {
    std::rewind(f);
    std::string text;
    for (int c; (c = std::fgetc(f)) != EOF;) text += static_cast<char>(c);
    std::fclose(f);
    return text;
  };
  const std::string printed = read(out);
  CHECK_THAT(printed, Contains("[functions] installing (its inputs changed): npm install\n"));
  CHECK_THAT(printed, Contains("[functions] still installing, 12.5 s so far: idealTree: sill\n"));
  CHECK_THAT(printed, Contains("[functions] installed in 14.0 s\n"));
  CHECK_THAT(read(err), Contains("[functions] the install step exited with code 1 after 900 ms; "
                                 "functions is not started. Fix it and save a watched file (or it "
                                 "runs again in 60.0 s). Its last output:\n[functions]   | npm "
                                 "ERR! 404"));
}

TEST_CASE("keeper: stopping a process takes everything it started with it", "[emulator]") {
  auto process =
      KeptProcess::spawn({"sleep 300 & sleep 301 & sleep 302", "/", {}, milliseconds(500)});
  REQUIRE(process.has_value());
  const pid_t group = process->pid();
  // The group is complete once all three sleeps run.
  for (int i = 0; i < 200 && live_members(group) < 3; ++i) usleep(10000);
  CHECK(live_members(group) >= 3);
  process->stop();
  const ExitStatus status = process->wait();
  CHECK(status.signal != 0);
  CHECK(live_members(group) == 0);
}

TEST_CASE("keeper: the environment and working directory reach the command", "[emulator]") {
  auto process =
      KeptProcess::spawn({"echo \"$GREETING from $(pwd)\"", "/tmp", {{"GREETING", "hi"}}});
  REQUIRE(process.has_value());
  std::string out;
  char buffer[256];
  ssize_t n;
  while ((n = ::read(process->stdout_fd(), buffer, sizeof buffer)) > 0) out.append(buffer, n);
  CHECK(out == "hi from /tmp\n");
  CHECK(process->wait().code == 0);
}

TEST_CASE("console: process output is prefixed with the process name", "[emulator]") {
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  auto read_all = [](std::FILE* f) {
    std::rewind(f);
    std::string text;
    char buffer[512];
    while (std::fgets(buffer, sizeof buffer, f)) text += buffer;
    return text;
  };
  {
    Console console(
        {.color = false, .quiet = false, .format = LogFormat::kPlain, .out = out, .err = err});
    console.on_output("person", OutputStream::kStdout, "hello");
    ProcessEvent exited{.kind = Kind::kExited,
                        .process = "person",
                        .status = ExitStatus{127, 0},
                        .before_ready = true,
                        .restart_in = milliseconds(250),
                        .last_lines = {"sh: 1: nodez: not found"}};
    console.on_process_event(exited);
  }
  CHECK(read_all(out) == "[person] hello\n");
  CHECK(read_all(err) ==
        "[person] exited with code 127 (the command was not found) before it was ready; "
        "restarting in 250 ms. Its last output:\n[person]   | sh: 1: nodez: not found\n");

  std::FILE* json = std::tmpfile();
  {
    Console console({.format = LogFormat::kJson, .out = json, .err = json});
    console.on_output("person", OutputStream::kStderr, "oops");
  }
  const std::string line = read_all(json);
  CHECK_THAT(line,
             Contains(R"("event":"output","process":"person","stream":"stderr","line":"oops")"));
  std::fclose(out);
  std::fclose(err);
  std::fclose(json);
}

TEST_CASE("supervisor: output without a newline is shown while the process still runs",
          "[emulator]") {
  Recorder recorder;
  Supervisor supervisor(recorder, fast());
  supervisor.update({shell("p", "printf 'seen 1'; sleep 30")}, "");
  REQUIRE(recorder.wait([&] {
    return std::ranges::any_of(recorder.lines, [](const auto& l) { return l.text == "seen 1"; });
  }));
  CHECK(recorder.count(Kind::kExited) == 0);  // not held until the exit
  supervisor.stop();
}

TEST_CASE("supervisor: recent output with its times, and each process's status", "[emulator]") {
  Recorder recorder;
  Supervisor supervisor(recorder, fast());
  const int64_t before =
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  supervisor.update(
      {shell("up", "echo first; echo oops >&2; sleep 30"), shell("down", "echo bye; exit 3")}, "");
  REQUIRE(recorder.wait([&] {
    return std::ranges::count(recorder.lines, std::string("oops"), &Recorder::Line::text) > 0 &&
           recorder.count(Kind::kStarted) >= 3;  // "down" restarted at least once
  }));
  auto lines = supervisor.output_since("up", before);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].text == "first");
  CHECK_FALSE(lines[0].stderr_stream);
  CHECK(lines[1].text == "oops");
  CHECK(lines[1].stderr_stream);
  CHECK(lines[0].at_ms >= before);
  CHECK(supervisor.output_since("up", lines[1].at_ms + 1).empty());
  CHECK(supervisor.output_since("nobody", 0).empty());

  auto statuses = supervisor.statuses();
  REQUIRE(statuses.size() == 2);
  CHECK(statuses[1].name == "up");
  CHECK(statuses[1].state == "running");
  CHECK(statuses[1].pid > 0);
  CHECK(statuses[1].restarts == 0);
  CHECK(statuses[1].last_exit.empty());
  CHECK(statuses[0].name == "down");
  CHECK(statuses[0].restarts >= 1);
  CHECK(statuses[0].last_exit == "exited with code 3");
  CHECK(statuses[0].last_exit_at_ms >= before);
  supervisor.stop();
}

TEST_CASE("supervisor: an on-demand process starts only when asked and stops when idle",
          "[emulator][on-demand]") {
  Recorder recorder;
  Supervisor supervisor(recorder, fast());
  const int port = free_port();
  auto spec = shell("lazy", listener_command(port));
  spec.port = port;
  spec.on_demand = true;
  spec.idle_stop = milliseconds(1000);
  supervisor.update({spec}, "");
  auto state = [&] { return supervisor.statuses().at(0).state; };
  // The status follows the events a moment later (the gate opens first).
  auto settles_at = [&](const std::string& wanted) {
    for (auto until = std::chrono::steady_clock::now() + kWait;
         std::chrono::steady_clock::now() < until;) {
      if (state() == wanted) return true;
      std::this_thread::sleep_for(milliseconds(10));
    }
    return false;
  };
  CHECK(state() == "idle");
  CHECK(recorder.count_now(Kind::kStarted) == 0);

  REQUIRE(supervisor.start_on_demand("lazy", "a message for test/x is waiting"));
  REQUIRE(recorder.wait([&] { return recorder.count(Kind::kReady) == 1; }));
  CHECK(recorder.first(Kind::kWaking)->detail == "a message for test/x is waiting");
  CHECK(settles_at("ready"));
  // Running already: nothing to start.
  CHECK_FALSE(supervisor.start_on_demand("lazy", "again"));

  supervisor.stop_idle("lazy", milliseconds(1000));
  REQUIRE(recorder.wait([&] { return recorder.count(Kind::kIdleStopped) == 1; }));
  CHECK(recorder.first(Kind::kIdleStopped)->elapsed == milliseconds(1000));
  CHECK(settles_at("idle"));
  CHECK(supervisor.statuses().at(0).pid == 0);
  CHECK(recorder.count_now(Kind::kExited) == 0);  // not a crash: no restart

  // Asked again: it starts again.
  REQUIRE(supervisor.start_on_demand("lazy", "another message"));
  REQUIRE(recorder.wait([&] { return recorder.count(Kind::kReady) == 2; }));
  supervisor.stop();
}

TEST_CASE("supervisor: a start asked for while a process goes idle starts it again at once",
          "[emulator][on-demand]") {
  Recorder recorder;
  Supervisor supervisor(recorder, fast());
  // Ignores SIGTERM, so going down takes the whole grace period.
  auto spec = shell("stubborn", "trap '' TERM; echo up; while :; do sleep 0.05; done");
  spec.on_demand = true;
  supervisor.update({spec}, "");
  REQUIRE(supervisor.start_on_demand("stubborn", "first"));
  REQUIRE(recorder.wait([&] { return recorder.count(Kind::kStarted) == 1; }));
  supervisor.stop_idle("stubborn", milliseconds(5));
  REQUIRE(supervisor.start_on_demand("stubborn", "a message came meanwhile"));
  REQUIRE(recorder.wait([&] { return recorder.count(Kind::kStarted) == 2; }));
  CHECK(recorder.count_now(Kind::kIdleStopped) == 1);
  CHECK(recorder.count_now(Kind::kWaking) == 2);
  CHECK(supervisor.statuses().at(0).state != "idle");
  supervisor.stop();
}

TEST_CASE("supervisor: a restart and an idle stop asked for together are both taken",
          "[emulator][on-demand]") {
  Recorder recorder;
  Supervisor supervisor(recorder, fast());
  auto spec = shell("both", "echo up; while :; do sleep 0.05; done");
  spec.on_demand = true;
  supervisor.update({spec}, "");
  REQUIRE(supervisor.start_on_demand("both", "first"));
  REQUIRE(recorder.wait([&] { return recorder.count(Kind::kStarted) == 1; }));
  // One signal for both: the restart is taken first, the idle stop is
  // forgotten as the process goes down anyway, and a later idle stop works.
  supervisor.restart("both", "a file changed");
  supervisor.stop_idle("both", milliseconds(5));
  REQUIRE(recorder.wait([&] { return recorder.count(Kind::kStarted) == 2; }));
  supervisor.stop_idle("both", milliseconds(5));
  REQUIRE(recorder.wait([&] { return recorder.count(Kind::kIdleStopped) == 1; }));
  supervisor.stop();
}

}  // namespace
}  // namespace statefun::emulator
