// Decides how the console shows each failed call, so a failure is readable
// once and then costs one line: the first time a reason is seen (per
// function type) its full text is shown; a repeat of the same reason is one
// short line with a count, at most once a second per reason and ever more
// rarely (the gap doubles per line, up to a minute); repeats in between are
// counted into the next line. Different reasons are never
// folded into each other, however many arrive in one second.
//
// It also remembers the output lines that came with a shown failure, so the
// console can leave out the same lines when the process prints them again
// on the next attempt (a function that throws on every retry would print its
// stack trace every two seconds, forever).
//
// A plain value: time is passed in. Thread-compatible.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "runtime/engine/call_failure.h"

namespace statefun::emulator {

class FailureDigest {
 public:
  using Time = std::chrono::steady_clock::time_point;

  struct Verdict {
    enum class Show { kFull, kRepeat, kNothing };
    Show show = Show::kNothing;
    // kRepeat: failures with this reason since its full text was shown
    // (this one included), and how many of them no line mentioned yet.
    int64_t repeats = 0;
    int64_t held_back = 0;
  };

  // A failure of `address`: what to print about it.
  Verdict admit(const Address& address, const CallFailure& failure, Time now);
  // Whether `line` from `process` was part of a failure's output shown in
  // the last minute (the console then leaves it out).
  bool known_failure_line(const std::string& process, const std::string& line, Time now) const;

 private:
  struct Seen {
    Time shown{};      // when its full text was shown
    Time last_line{};  // when a line last mentioned it
    int64_t repeats = 0;
    int64_t held_back = 0;
    int lines = 0;  // repeat lines printed
  };
  // A reason is shown in full again once it has not been seen this long.
  static constexpr std::chrono::seconds kForgetAfter{60};

  // The function type and the whole reason, digits folded (a time or a pid
  // in a log line does not make a reason new).
  static std::string key(const Address& address, const CallFailure& failure);

  std::map<std::string, Seen> m_seen;
  std::map<std::string, std::map<std::string, Time>> m_failure_lines;  // process -> line -> seen
};

}  // namespace statefun::emulator
