// The one time grammar: durations and points in time as people write them,
// read from flags, statefun.yaml, module.yaml and the admin API, and written
// back for messages and listings. docs/time.md is the user's description;
// keep the two in step.
//
// Durations: a number and a unit ("500ms", "10 sec", "2min", "7d"), with
// Flink's unit spellings (plus "us" for µs), and compound forms ("1m30s",
// "1h 30min") and fractions ("1.5s") on top. What a number without a unit
// means is the caller's choice (DurationRules). Points in time: RFC 3339, a
// local date and time, a local time today, or a duration back from now.
//
// Every error is one line that quotes the text and says what was expected.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/core/result.h"

namespace statefun {

enum class TimeUnit {
  kNanoseconds,
  kMicroseconds,
  kMilliseconds,
  kSeconds,
  kMinutes,
  kHours,
  kDays
};

// How one place reads durations.
struct DurationRules {
  // What a number without a unit means ("500" is 500 ms in module.yaml).
  // nullopt: a unit is required; "0" alone is still zero.
  std::optional<TimeUnit> bare_number_unit;
  // When a unit is required: the units the error suggests for a bare number,
  // most likely first ("10" has no unit; write e.g. "10m" or "10s").
  TimeUnit suggest_first = TimeUnit::kSeconds;
  TimeUnit suggest_second = TimeUnit::kMilliseconds;
  // Only what Flink's own parser (TimeUtils.parseDuration) accepts: one whole
  // number and one of its unit spellings. Compound forms, fractions and "us"
  // are refused with the single-unit form to write instead, because a real
  // cluster would reject the file.
  bool flink_only = false;
};

// module.yaml: exactly Flink's grammar; a bare number is milliseconds.
inline constexpr DurationRules kFlinkDurations{.bare_number_unit = TimeUnit::kMilliseconds,
                                               .flink_only = true};
// Command-line timeouts: a bare number is seconds ("--timeout 30").
inline constexpr DurationRules kSecondsByDefault{.bare_number_unit = TimeUnit::kSeconds};
// Periods and ages (snapshot interval, retention): a unit is required.
inline constexpr DurationRules kUnitRequired{.suggest_first = TimeUnit::kMinutes,
                                             .suggest_second = TimeUnit::kSeconds};

// A non-negative duration. Parts below a millisecond round up, so a non-zero
// duration never becomes zero. kInvalidArgument:
//   invalid duration "10 parsecs": unknown unit "parsecs"; expected ...
//   "10" has no unit; write e.g. "10m" or "10s"
Result<std::chrono::milliseconds> parse_duration(std::string_view text, const DurationRules& rules);

// A point in time, in ms since the epoch:
//  - RFC 3339: "2026-12-06T14:30:05Z", "2026-12-06T14:30:05.250+01:00"
//    (also "t", or a space, between date and time; "+0100" for the offset);
//  - a local date and time: "2026-12-06 14:30", "2026-12-06T14:30:05",
//    or a date alone ("2026-12-06", its midnight);
//  - a local time today: "14:30", "14:30:05";
//  - a duration back from `now_ms`: "5m", "1h30m", "2h ago"; and "now".
// A number alone ("12") is a duration in `ago.bare_number_unit`, or refused
// as ambiguous when that is unset. kInvalidArgument names the text.
Result<int64_t> parse_time_point(std::string_view text, int64_t now_ms,
                                 const DurationRules& ago = {});

// The shortest exact form, which parse_duration reads back in every rule
// set: "7d", "10m", "90s", "250ms", "0".
std::string duration_text(std::chrono::milliseconds duration);

// RFC 3339 in UTC with milliseconds: "2026-12-06T14:30:05.250Z".
std::string utc_time_text(int64_t ms);

// Local wall-clock time to the second: "2026-12-06 14:30:05".
std::string local_date_time_text(int64_t ms);

}  // namespace statefun
