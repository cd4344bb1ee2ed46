#include "emulator/console.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>

namespace statefun::emulator {
namespace {

constexpr const char* kRed = "31";
constexpr const char* kGreen = "32";
constexpr const char* kYellow = "33";
constexpr const char* kDim = "2";
constexpr const char* kBold = "1";

std::string clock_time() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm local{};
  localtime_r(&seconds, &local);
  return fmt::format("{:02}:{:02}:{:02}.{:03}", local.tm_hour, local.tm_min, local.tm_sec, ms);
}

std::string format_duration_us(int64_t us) {
  if (us < 1000) return fmt::format("{}µs", us);
  if (us < 1000000) return fmt::format("{:.1f}ms", us / 1000.0);
  return fmt::format("{:.2f}s", us / 1e6);
}

// Failures are reported on the first attempt and then ever more rarely, so
// a function that is down for a minute produces a handful of lines.
bool worth_reporting(int attempt) {
  return attempt <= 2 || (attempt & (attempt - 1)) == 0 || attempt % 30 == 0;
}

}  // namespace

std::string Console::paint(const char* code, const std::string& text) const {
  if (!m_options.color) return text;
  return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
}

void Console::write(std::FILE* stream, const std::string& line) {
  std::lock_guard lock(m_mutex);
  std::fputs(line.c_str(), stream);
  std::fputc('\n', stream);
  std::fflush(stream);
}

void Console::info(const std::string& line) { write(m_options.out, line); }

void Console::warn(const std::string& line) {
  write(m_options.err, paint(kYellow, "warning: ") + line);
}

void Console::error(const std::string& line) {
  write(m_options.err, paint(kRed, "error: ") + line);
}

void Console::on_step(const TraceRecord& step) {
  if (m_options.quiet) return;
  std::string what =
      step.invocations == 1 ? step.first_type : fmt::format("{} messages", step.invocations);
  std::string effects;
  if (!step.changed_states.empty()) {
    effects += " state:";
    for (const auto& name : step.changed_states) effects += " " + name;
  }
  if (step.messages) effects += fmt::format(" → {} msg", step.messages);
  if (step.delayed) effects += fmt::format(" ⏲ {} delayed", step.delayed);
  if (step.egress) effects += fmt::format(" ⇥ {} egress", step.egress);
  write(m_options.out,
        fmt::format("{} {} {} {} {}{}", paint(kDim, clock_time()), paint(kBold, step.address.str()),
                    what, paint(kDim, format_duration_us(step.duration_us)),
                    paint(kDim, fmt::format("#{}", step.step)), effects));
}

void Console::on_call_failed(const Address& address, const std::string& reason, int attempt) {
  if (!worth_reporting(attempt)) return;
  write(m_options.err,
        paint(kRed, fmt::format("{} {} failed (attempt {}): {}; message kept, retrying",
                                clock_time(), address.str(), attempt, reason)));
}

void Console::on_recovered(const Address& address, int failed_attempts) {
  write(m_options.err, paint(kGreen, fmt::format("{} {} recovered after {} failed attempt{}",
                                                 clock_time(), address.str(), failed_attempts,
                                                 failed_attempts == 1 ? "" : "s")));
}

void Console::on_states_registered(const FunctionType& type, const std::vector<StateSpec>& specs) {
  if (m_options.quiet) return;
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
  write(m_options.out,
        paint(kDim, fmt::format("{} {} registered state: {}", clock_time(), type.str(), names)));
}

void Console::on_unroutable(const FunctionType& type) {
  error(
      fmt::format("no endpoint in module.yaml serves function type {}; its messages are kept "
                  "and will be delivered once one does",
                  type.str()));
}

void Console::on_fatal(const Error& failure) {
  error(fmt::format("state database failure, dispatch stopped: {}", failure.message));
}

}  // namespace statefun::emulator
