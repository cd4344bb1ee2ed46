#include "emulator/console/crash_loop_filter.h"

#include <cctype>

namespace statefun::emulator {

std::string CrashLoopFilter::folded(const std::string& text) {
  std::string out;
  bool in_digits = false;
  for (const char c : text) {
    const bool digit = std::isdigit(static_cast<unsigned char>(c)) != 0;
    if (!(digit && in_digits)) out += digit ? '#' : c;
    in_digits = digit;
  }
  return out;
}

bool CrashLoopFilter::started(const std::string& process) {
  Run& run = m_runs[process];
  run.current.clear();
  run.held = 0;
  // Nothing to compare with before the first crash.
  run.diverged = !run.has_reference;
  return run.has_reference && run.repeats >= 2 && run.last_exit_repeated;
}

std::vector<std::string> CrashLoopFilter::line(const std::string& process,
                                               const std::string& text) {
  Run& run = m_runs[process];
  run.current.push_back(text);
  const std::size_t index = run.current.size() - 1;
  if (!run.diverged && index < run.reference.size() &&
      folded(run.reference[index]) == folded(text)) {
    ++run.held;
    return {};
  }
  run.diverged = true;
  std::vector<std::string> out(run.current.end() - static_cast<std::ptrdiff_t>(run.held + 1),
                               run.current.end());
  run.held = 0;
  return out;
}

std::vector<std::string> CrashLoopFilter::release(const std::string& process) {
  Run& run = m_runs[process];
  run.diverged = true;
  std::vector<std::string> out(run.current.end() - static_cast<std::ptrdiff_t>(run.held),
                               run.current.end());
  run.held = 0;
  return out;
}

int CrashLoopFilter::exited(const std::string& process, std::vector<std::string>& flush) {
  Run& run = m_runs[process];
  const bool repeat =
      !run.diverged && run.has_reference && run.current.size() == run.reference.size();
  run.last_exit_repeated = repeat;
  if (repeat) {
    run.held = 0;
    return ++run.repeats;
  }
  flush.assign(run.current.end() - static_cast<std::ptrdiff_t>(run.held), run.current.end());
  run.held = 0;
  run.reference = std::move(run.current);
  run.current.clear();
  run.has_reference = true;
  run.repeats = 1;
  return 0;
}

}  // namespace statefun::emulator
