// Times and durations as the terminal shows them, in the console and in the
// shell commands alike: short and readable, not meant to be read back (the
// time grammar, runtime/core/time_text.h, reads and writes exact forms).
#pragma once

#include <cstdint>
#include <string>

namespace statefun::emulator {

// "21:58:12.350": milliseconds since the epoch, in local time.
std::string clock_time(int64_t ms);
// The current time, as clock_time shows it.
std::string clock_time_now();
// "950µs", "8.0ms", "1.25s".
std::string format_duration_us(int64_t us);

}  // namespace statefun::emulator
