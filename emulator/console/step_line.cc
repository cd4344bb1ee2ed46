#include "emulator/console/step_line.h"

#include <fmt/format.h>

#include "emulator/console/display_time.h"

namespace statefun::emulator {

std::string step_line(const TraceRecord& step, const Style& style) {
  if (!step.note.empty()) {
    // An admin edit or an engine decision: say what it did.
    return fmt::format("{} {} {} {} {}", style.dim(clock_time(step.at_ms)),
                       style.bold(step.address.str()), step.first_type,
                       style.dim(fmt::format("#{}", step.step)), step.note);
  }
  // An admin edit has no invocation; a lone message needs no count.
  const std::string what = step.invocations <= 1 ? step.first_type
                                                 : fmt::format("{} messages ({} first)",
                                                               step.invocations, step.first_type);
  const std::string duration =
      step.invocations == 0 ? "admin" : format_duration_us(step.duration_us);
  std::string effects;
  if (!step.changed_states.empty()) {
    effects += " state:";
    for (const auto& name : step.changed_states) effects += " " + name;
  }
  if (step.messages) effects += fmt::format(" → {} msg", step.messages);
  if (step.delayed) effects += fmt::format(" ⏲ {} delayed", step.delayed);
  if (step.egress) effects += fmt::format(" ⇥ {} egress", step.egress);
  return fmt::format("{} {} {} {} {}{}", style.dim(clock_time(step.at_ms)),
                     style.bold(step.address.str()), what, style.dim(duration),
                     style.dim(fmt::format("#{}", step.step)), effects);
}

}  // namespace statefun::emulator
