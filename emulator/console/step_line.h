// One step as one line of text: what `statefun dev` prints per step and what
// `statefun trace` (and `send --wait`) print, so a step reads the same
// wherever it is shown:
//
//   21:58:12.359 example/person/Bob example/GreetRequest 8.0ms #1 state: visits → 1 msg
//
// time of the step (local), address, message type, the function's response
// time, step id, then what the step did: states changed, → messages sent,
// ⏲ delayed messages, ⇥ egress records (each only when there are any). A
// batch shows as "3 messages (example/GreetRequest first)"; an admin edit
// (no invocation) shows "admin" where the response time would be. A step with
// a note (admin edits, dead-lettering, inbox operations) shows the note
// instead of the effects:
//
//   21:58:13.002 example/person/Bob statefun/state-set #7 state set: visits
#pragma once

#include <string>

#include "emulator/console/terminal_style.h"
#include "runtime/store/store.h"

namespace statefun::emulator {

// Without a trailing newline.
std::string step_line(const TraceRecord& step, const Style& style);

}  // namespace statefun::emulator
