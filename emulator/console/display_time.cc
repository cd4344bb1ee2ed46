#include "emulator/console/display_time.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>

namespace statefun::emulator {

std::string clock_time(int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm local{};
  localtime_r(&seconds, &local);
  return fmt::format("{:02}:{:02}:{:02}.{:03}", local.tm_hour, local.tm_min, local.tm_sec,
                     ms % 1000);
}

std::string clock_time_now() {
  return clock_time(std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count());
}

std::string format_duration_us(int64_t us) {
  if (us < 1000) return fmt::format("{}µs", us);
  if (us < 1000000) return fmt::format("{:.1f}ms", us / 1000.0);
  return fmt::format("{:.2f}s", us / 1e6);
}

}  // namespace statefun::emulator
