#include "emulator/console/console.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>
#include <utility>

#include "emulator/console/display_time.h"
#include "emulator/console/step_line.h"

namespace statefun::emulator {
namespace {

using Json = nlohmann::ordered_json;

// ISO 8601 in UTC with milliseconds, for JSON lines.
std::string utc_time() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, ms);
}

Json event_json(const char* event) {
  Json j;
  j["time"] = utc_time();
  j["event"] = event;
  return j;
}

std::string format_ms(std::chrono::milliseconds ms) {
  if (ms.count() < 1000) return fmt::format("{} ms", ms.count());
  return fmt::format("{:.1f} s", ms.count() / 1000.0);
}

// Failures are reported on the first attempt and then ever more rarely, so
// a function that is down for a minute produces a handful of lines.
bool worth_reporting(int attempt) {
  return attempt <= 2 || (attempt & (attempt - 1)) == 0 || attempt % 30 == 0;
}

// What a shell's exit code usually means, for "exited at once".
std::string exit_hint(const ExitStatus& status) {
  if (status.signal) return "";
  if (status.code == 127) return " (the command was not found)";
  if (status.code == 126) return " (the command is not executable)";
  return "";
}

// A command as the console echoes it: long ones (a java classpath) keep
// their start and end, so the line stays readable.
std::string shorten_command(const std::string& command) {
  constexpr std::size_t kMax = 100, kHead = 60, kTail = 30;
  if (command.size() <= kMax) return command;
  auto boundary = [&command](std::size_t at) {
    // Do not split a UTF-8 sequence.
    while (at > 0 && (static_cast<unsigned char>(command[at]) & 0xC0) == 0x80) --at;
    return at;
  };
  const std::size_t head = boundary(kHead);
  const std::size_t tail = boundary(command.size() - kTail);
  return command.substr(0, head) + " … " + command.substr(tail);
}

std::string describe_exit(const ExitStatus& status) {
  if (status.signal) return fmt::format("was killed by {}", status.str());
  return fmt::format("exited with code {}{}", status.code, exit_hint(status));
}

const char* kind_name(ProcessEvent::Kind kind) {
  switch (kind) {
    case ProcessEvent::Kind::kStarted:
      return "started";
    case ProcessEvent::Kind::kReady:
      return "ready";
    case ProcessEvent::Kind::kNotReady:
      return "not_ready";
    case ProcessEvent::Kind::kExited:
      return "exited";
    case ProcessEvent::Kind::kRestarting:
      return "restarting";
    case ProcessEvent::Kind::kCannotStart:
      return "cannot_start";
    case ProcessEvent::Kind::kStopped:
      return "stopped";
    case ProcessEvent::Kind::kInstalling:
      return "installing";
    case ProcessEvent::Kind::kInstallProgress:
      return "install_progress";
    case ProcessEvent::Kind::kInstalled:
      return "installed";
    case ProcessEvent::Kind::kInstallFailed:
      return "install_failed";
    case ProcessEvent::Kind::kWaking:
      return "waking";
    case ProcessEvent::Kind::kIdleStopped:
      return "idle";
  }
  return "unknown";
}

}  // namespace

void Console::write(std::FILE* stream, const std::string& line) {
  std::lock_guard lock(m_mutex);
  std::fputs(line.c_str(), stream);
  std::fputc('\n', stream);
  std::fflush(stream);
}

void Console::write_json(const std::string& json_text) { write(m_options.out, json_text); }

void Console::log(const char* level, std::FILE* stream, const std::string& label,
                  const std::string& line) {
  if (json()) {
    Json j = event_json("log");
    j["level"] = level;
    j["message"] = line;
    write_json(j.dump(-1, ' ', false, Json::error_handler_t::replace));
    return;
  }
  write(stream, label + line);
}

void Console::info(const std::string& line) { log("info", m_options.out, "", line); }

void Console::warn(const std::string& line) {
  log("warning", m_options.err, m_style.yellow("warning: "), line);
}

void Console::error(const std::string& line) {
  log("error", m_options.err, m_style.red("error: "), line);
}

void Console::banner(const Banner& b) {
  if (json()) {
    Json j = event_json("banner");
    j["version"] = b.version;
    j["module"] = b.module_path;
    j["config"] = b.config_path.empty() ? Json(nullptr) : Json(b.config_path);
    j["data"] = b.data_dir;
    j["listen"] = b.listen_host;
    j["ingress_port"] = b.ingress_port ? Json(b.ingress_port) : Json(nullptr);
    j["egress_port"] = b.egress_port ? Json(b.egress_port) : Json(nullptr);
    j["topics"] = b.topics;
    j["admin_port"] = b.admin_port;
    j["console_url"] = fmt::format("http://127.0.0.1:{}/", b.admin_port);
    j["functions"] = Json::array();
    for (const auto& r : b.routes) {
      j["functions"].push_back({{"functions", r.functions},
                                {"url", r.url},
                                {"process", r.process.empty() ? Json(nullptr) : Json(r.process)}});
    }
    j["recovered_messages"] = b.recovered_messages;
    j["recovered_timers"] = b.recovered_timers;
    j["history"] = b.history;
    j["snapshots"] = b.snapshots.empty() ? Json(nullptr) : Json(b.snapshots);
    j["clock"] = b.clock.empty() ? Json("wall") : Json(b.clock);
    j["tls_insecure_skip_verify"] = b.tls_insecure;
    write_json(j.dump(-1, ' ', false, Json::error_handler_t::replace));
    return;
  }
  info(fmt::format("statefun dev {}", b.version));
  info(fmt::format("  module     {}", b.module_path));
  if (!b.config_path.empty()) info(fmt::format("  config     {}", b.config_path));
  info(fmt::format("  data       {}", b.data_dir));
  if (b.ingress_port) {
    info(fmt::format("  ingress    http://{}:{}/<namespace>/<type>/<id>", b.listen_host,
                     b.ingress_port));
  }
  if (b.egress_port) {
    std::string topics;
    for (const auto& t : b.topics) topics += (topics.empty() ? "" : ", ") + t;
    info(fmt::format("  egress     http://{}:{}/<topic>  topics: {}", b.listen_host, b.egress_port,
                     topics));
  }
  info(fmt::format("  admin      http://127.0.0.1:{}", b.admin_port));
  info(fmt::format("  console    http://127.0.0.1:{}/  (web console)", b.admin_port));
  for (const auto& r : b.routes) {
    const std::string by = r.process.empty() ? "" : m_style.dim(fmt::format("  ({})", r.process));
    info(fmt::format("  functions  {} → {}{}", r.functions, r.url, by));
  }
  if (!b.history.empty()) info(fmt::format("  history    {}", b.history));
  if (!b.snapshots.empty()) info(fmt::format("  snapshots  {}", b.snapshots));
  if (!b.clock.empty()) info(fmt::format("  clock      {}", b.clock));
  if (b.tls_insecure) {
    info(
        m_style.red("  tls        INSECURE: https certificates are not verified "
                    "(tls.insecure_skip_verify)"));
  }
  if (b.recovered_messages || b.recovered_timers) {
    info(fmt::format("  recovered  {} pending message(s), {} timer(s)", b.recovered_messages,
                     b.recovered_timers));
  }
}

void Console::ready(std::chrono::milliseconds elapsed) {
  if (json()) {
    Json j = event_json("ready");
    j["ms"] = elapsed.count();
    write_json(j.dump());
    return;
  }
  info(fmt::format("statefun dev ready in {} ms", elapsed.count()));
}

void Console::on_step(const TraceRecord& step) {
  if (m_options.quiet) return;
  if (json()) {
    Json j = event_json("step");
    j["step"] = step.step;
    j["address"] = step.address.str();
    j["type"] = step.first_type;
    j["batch"] = step.invocations;
    j["duration_us"] = step.duration_us;
    j["states"] = step.changed_states;
    j["messages"] = step.messages;
    j["delayed"] = step.delayed;
    j["egress"] = step.egress;
    if (!step.note.empty()) j["note"] = step.note;
    write_json(j.dump(-1, ' ', false, Json::error_handler_t::replace));
    return;
  }
  write(m_options.out, step_line(step, m_style));
}

int Console::admit_recovery(const FunctionType& type) {
  const auto now = std::chrono::steady_clock::now();
  MutexLock lock(m_digest_mutex);
  Digest& digest = m_digests[type];
  if (now - digest.last_recovery < std::chrono::seconds(1)) {
    ++digest.suppressed_recoveries;
    return -1;
  }
  digest.last_recovery = now;
  return std::exchange(digest.suppressed_recoveries, 0);
}

std::string Console::failure_text(const Address& address, const CallFailure& f) {
  const std::string kept =
      f.messages == 1 ? "message kept" : fmt::format("{} messages kept", f.messages);
  std::string text =
      m_style.red(fmt::format("{} {} failed (attempt {}): {}; {}, retrying", clock_time_now(),
                              address.str(), f.attempt, f.reason, kept));
  if (!f.body.empty() && f.body.find_first_not_of(" \t\r\n") != std::string::npos) {
    text += m_style.dim("\n  response body:");
    std::size_t start = 0;
    while (start < f.body.size()) {
      std::size_t end = f.body.find('\n', start);
      if (end == std::string::npos) end = f.body.size();
      std::string line = f.body.substr(start, end - start);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      text += fmt::format("\n  | {}", line);
      start = end + 1;
    }
  }
  if (!f.output.empty()) {
    const std::string prefix = process_prefix(f.process);
    text += m_style.dim(fmt::format("\n  {} printed during the call:", prefix));
    for (const auto& line : f.output) text += fmt::format("\n  {} | {}", prefix, line.text);
  } else if (!f.process.empty() && f.kind == CallFailure::Kind::kHttpStatus && f.body.empty()) {
    text += m_style.dim(
        fmt::format("\n  {} printed nothing during the call (an SDK that answers an empty "
                    "error hides the exception: log it in the function)",
                    process_prefix(f.process)));
  }
  return text;
}

void Console::on_call_failed(const Address& address, const CallFailure& failure) {
  if (json()) {
    if (!worth_reporting(failure.attempt)) return;
    Json j = event_json("call_failed");
    j["address"] = address.str();
    j["kind"] = call_failure_kind_name(failure.kind);
    j["reason"] = failure.reason;
    j["attempt"] = failure.attempt;
    j["http_status"] = failure.http_status ? Json(failure.http_status) : Json(nullptr);
    j["body"] = failure.body;
    j["process"] = failure.process.empty() ? Json(nullptr) : Json(failure.process);
    j["output"] = Json::array();
    for (const auto& line : failure.output) {
      j["output"].push_back(
          {{"stream", line.stderr_stream ? "stderr" : "stdout"}, {"line", line.text}});
    }
    write_json(j.dump(-1, ' ', false, Json::error_handler_t::replace));
    return;
  }
  FailureDigest::Verdict verdict;
  {
    MutexLock lock(m_filter_mutex);
    verdict = m_failures.admit(address, failure, std::chrono::steady_clock::now());
  }
  using Show = FailureDigest::Verdict::Show;
  if (verdict.show == Show::kNothing) return;
  if (verdict.show == Show::kFull) {
    write(m_options.err, failure_text(address, failure));
    return;
  }
  // A repeat: one line. Different reasons never share it.
  const std::string since = verdict.held_back > 1 && verdict.held_back != verdict.repeats
                                ? fmt::format(", {} since the last line", verdict.held_back)
                                : "";
  write(m_options.err,
        m_style.red(fmt::format("{} {} failed again (attempt {}): {} (same reason as above; {} "
                                "repeat{} so far{})",
                                clock_time_now(), address.str(), failure.attempt, failure.reason,
                                verdict.repeats, verdict.repeats == 1 ? "" : "s", since)));
}

void Console::on_recovered(const Address& address, int failed_attempts) {
  if (json()) {
    Json j = event_json("recovered");
    j["address"] = address.str();
    j["failed_attempts"] = failed_attempts;
    write_json(j.dump());
    return;
  }
  const int held_back = admit_recovery(address.type);
  if (held_back < 0) return;
  const std::string more =
      held_back ? fmt::format(" (and {} more addresses of {})", held_back, address.type.str()) : "";
  write(m_options.err, m_style.green(fmt::format("{} {} recovered after {} failed attempt{}{}",
                                                 clock_time_now(), address.str(), failed_attempts,
                                                 failed_attempts == 1 ? "" : "s", more)));
}

void Console::on_states_registered(const FunctionType& type, const std::vector<StateSpec>& specs) {
  if (m_options.quiet) return;
  if (json()) {
    Json j = event_json("states_registered");
    j["type"] = type.str();
    j["states"] = Json::array();
    for (const auto& spec : specs) {
      Json s{{"name", spec.name}, {"type", spec.type_name}};
      if (spec.expire_mode == ExpireMode::kAfterWrite)
        s["expire_after_write_ms"] = spec.expire_after_ms;
      if (spec.expire_mode == ExpireMode::kAfterInvoke) {
        s["expire_after_invoke_ms"] = spec.expire_after_ms;
      }
      j["states"].push_back(std::move(s));
    }
    write_json(j.dump(-1, ' ', false, Json::error_handler_t::replace));
    return;
  }
  std::string names;
  for (const auto& spec : specs) {
    if (!names.empty()) names += ", ";
    names += fmt::format("{} ({})", spec.name, spec.type_name);
    if (spec.expire_mode == ExpireMode::kAfterWrite) {
      names += fmt::format(" expires {} ms after write", spec.expire_after_ms);
    } else if (spec.expire_mode == ExpireMode::kAfterInvoke) {
      names += fmt::format(" expires {} ms after invoke", spec.expire_after_ms);
    }
  }
  write(m_options.out, m_style.dim(fmt::format("{} {} registered state: {}", clock_time_now(),
                                               type.str(), names)));
}

void Console::on_unroutable(const FunctionType& type) {
  if (json()) {
    Json j = event_json("unroutable");
    j["type"] = type.str();
    write_json(j.dump());
    return;
  }
  error(
      fmt::format("no endpoint in module.yaml serves function type {}; its messages are kept "
                  "and will be delivered once one does",
                  type.str()));
}

void Console::on_fatal(const Error& failure) {
  error(fmt::format(
      "state database failure, dispatch stopped (ingress and egress answer 503; restart "
      "statefun dev once the cause is fixed): {}",
      failure.message));
}

void Console::on_suspended(const Error& failure) {
  error(fmt::format(
      "the disk is full: dispatch paused, ingress and egress answer 503, retrying every "
      "second until there is room (nothing acknowledged is lost): {}",
      failure.message));
}

void Console::on_resumed() { info("the state database takes writes again: dispatch resumed"); }

std::string Console::process_prefix(const std::string& process) {
  std::size_t tint;
  {
    MutexLock lock(m_colors_mutex);
    // Tints are handed out in the order processes first appear.
    tint = m_process_colors.emplace(process, m_process_colors.size()).first->second;
  }
  return m_style.tint(tint, fmt::format("[{}]", process));
}

void Console::on_output(const std::string& process, OutputStream stream, std::string_view line) {
  if (json()) {
    Json j = event_json("output");
    j["process"] = process;
    j["stream"] = stream == OutputStream::kStdout ? "stdout" : "stderr";
    j["line"] = line;
    write_json(j.dump(-1, ' ', false, Json::error_handler_t::replace));
    return;
  }
  std::vector<std::string> lines;
  {
    MutexLock lock(m_filter_mutex);
    const std::string text(line);
    // A line already shown with a failure's reason is not printed again
    // each time the retried call prints it.
    if (m_failures.known_failure_line(process, text, std::chrono::steady_clock::now())) return;
    lines = m_crash_loops.line(process, text);
  }
  print_output(process, stream, lines);
}

void Console::print_output(const std::string& process, OutputStream /*stream*/,
                           const std::vector<std::string>& lines) {
  if (lines.empty()) return;
  const std::string prefix = process_prefix(process);
  std::string text;
  for (const auto& line : lines)
    text += fmt::format("{}{} {}", text.empty() ? "" : "\n", prefix, line);
  write(m_options.out, text);
}

void Console::on_process_event(const ProcessEvent& e) {
  using Kind = ProcessEvent::Kind;
  if (json()) {
    Json j = event_json("process");
    j["process"] = e.process;
    j["state"] = kind_name(e.kind);
    if (e.pid) j["pid"] = e.pid;
    const bool command = e.kind == Kind::kStarted || e.kind == Kind::kInstalling;
    if (e.kind == Kind::kInstallProgress) {
      j["last_line"] = e.detail;
    } else if (!e.detail.empty()) {
      j[command ? "command" : "detail"] = e.detail;
    }
    if (!e.reason.empty()) j["reason"] = e.reason;
    if (e.kind == Kind::kReady || e.kind == Kind::kNotReady || e.kind == Kind::kInstallProgress ||
        e.kind == Kind::kInstalled || e.kind == Kind::kInstallFailed ||
        e.kind == Kind::kIdleStopped) {
      j["ms"] = e.elapsed.count();
    }
    if (e.status) {
      if (e.status->signal) {
        j["signal"] = e.status->str();
      } else {
        j["code"] = e.status->code;
      }
      j["before_ready"] = e.before_ready;
    }
    if (e.restart_in) j["restart_in_ms"] = e.restart_in->count();
    if (!e.last_lines.empty()) j["last_lines"] = e.last_lines;
    write_json(j.dump(-1, ' ', false, Json::error_handler_t::replace));
    return;
  }
  // Crash loops: a run that printed what the last crashed one printed and
  // exited again is summed up in one line.
  int repeats = 0;
  std::vector<std::string> held;
  {
    MutexLock lock(m_filter_mutex);
    if (e.kind == Kind::kStarted && m_crash_loops.started(e.process)) {
      return;  // the loop's summary lines say the rest
    }
    if (e.kind == Kind::kReady || e.kind == Kind::kNotReady || e.kind == Kind::kStopped ||
        e.kind == Kind::kRestarting || e.kind == Kind::kInstalling) {
      held = m_crash_loops.release(e.process);
    }
    if (e.kind == Kind::kExited) repeats = m_crash_loops.exited(e.process, held);
  }
  print_output(e.process, OutputStream::kStdout, held);
  const std::string prefix = process_prefix(e.process);
  if (repeats > 0) {
    const std::string retry =
        e.restart_in ? fmt::format("; restarting in {}", format_ms(*e.restart_in)) : "";
    write(m_options.err,
          fmt::format("{} {}", prefix,
                      m_style.red(fmt::format("{} again{}, with the same output as before ({} runs "
                                              "in a row; pid {}){}",
                                              describe_exit(*e.status),
                                              e.before_ready ? " before it was ready" : "", repeats,
                                              e.pid, retry))));
    return;
  }
  const std::string retry =
      e.restart_in ? fmt::format("; restarting in {}", format_ms(*e.restart_in)) : "";
  std::string text;
  bool failure = false;  // red, on stderr
  std::FILE* stream = m_options.out;
  switch (e.kind) {
    case Kind::kStarted:
      text = m_style.dim(fmt::format("$ {}  (pid {})", shorten_command(e.detail), e.pid));
      break;
    case Kind::kReady:
      text = m_style.green(fmt::format("ready in {}", format_ms(e.elapsed)));
      break;
    case Kind::kNotReady:
      text = fmt::format("not ready after {}: {}; still waiting, its messages stay queued",
                         format_ms(e.elapsed), e.detail);
      failure = true;
      break;
    case Kind::kExited:
      text = fmt::format("{}{}{}", describe_exit(*e.status),
                         e.before_ready ? " before it was ready" : "", retry);
      failure = true;
      break;
    case Kind::kRestarting:
      text = m_style.yellow(fmt::format("{}: restarting", e.detail));
      break;
    case Kind::kCannotStart:
      text = fmt::format(
          "cannot start: {}{}", e.detail,
          e.restart_in ? fmt::format("; trying again in {}", format_ms(*e.restart_in)) : "");
      failure = true;
      break;
    case Kind::kStopped:
      text = m_style.dim("stopped");
      break;
    case Kind::kInstalling:
      text = m_style.yellow(fmt::format("installing ({}): {}", e.reason, e.detail));
      break;
    case Kind::kInstallProgress:
      text = m_style.dim(fmt::format("still installing, {} so far{}", format_ms(e.elapsed),
                                     e.detail.empty() ? "" : fmt::format(": {}", e.detail)));
      break;
    case Kind::kInstalled:
      text = m_style.green(fmt::format("installed in {}", format_ms(e.elapsed)));
      break;
    case Kind::kInstallFailed:
      text = fmt::format(
          "the install step {} after {}; {} is not started. Fix it and save a watched file{}",
          describe_exit(*e.status), format_ms(e.elapsed), e.process,
          e.restart_in ? fmt::format(" (or it runs again in {})", format_ms(*e.restart_in)) : "");
      failure = true;
      break;
    case Kind::kWaking:
      text = m_style.yellow(fmt::format("starting on demand: {}", e.detail));
      break;
    case Kind::kIdleStopped:
      text = m_style.dim(fmt::format(
          "stopped after {} without calls (start: on-demand); it starts again on its next message",
          format_ms(e.elapsed)));
      break;
  }
  if (failure) {
    stream = m_options.err;
    text = m_style.red(text);
  }
  if (!e.last_lines.empty()) {
    text += m_style.dim(e.kind == Kind::kExited || e.kind == Kind::kInstallFailed
                            ? ". Its last output:"
                            : ". Its output so far:");
    for (const auto& line : e.last_lines) text += fmt::format("\n{}   | {}", prefix, line);
  }
  write(stream, fmt::format("{} {}", prefix, text));
}

}  // namespace statefun::emulator
