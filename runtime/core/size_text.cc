#include "runtime/core/size_text.h"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <cmath>
#include <limits>
#include <utility>

namespace statefun {
namespace {

constexpr int64_t kKi = 1024;
// Longest unit first where one is a prefix of another is not needed: units
// are compared whole (case-insensitively).
const std::array<std::pair<std::string_view, int64_t>, 9> kUnits = {{
    {"B", 1},
    {"kB", 1000},
    {"MB", 1000 * 1000},
    {"GB", 1000LL * 1000 * 1000},
    {"TB", 1000LL * 1000 * 1000 * 1000},
    {"KiB", kKi},
    {"MiB", kKi* kKi},
    {"GiB", kKi* kKi* kKi},
    {"TiB", kKi* kKi* kKi* kKi},
}};

bool same_unit(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::unexpected<Error> invalid(std::string_view text, std::string_view why) {
  return make_error(ErrorCode::kInvalidArgument, fmt::format("invalid size \"{}\": {}", text, why));
}

}  // namespace

Result<int64_t> parse_byte_size(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  const std::size_t number_start = i;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  std::size_t whole_end = i;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  }
  const std::string_view number = text.substr(number_start, i - number_start);
  if (whole_end == number_start || number.back() == '.') {
    return invalid(text, "expected a number and a unit, e.g. 500MB or 1GiB");
  }
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  std::string_view unit = text.substr(i);
  while (!unit.empty() && std::isspace(static_cast<unsigned char>(unit.back()))) {
    unit.remove_suffix(1);
  }
  // Far more digits than any size has would overflow std::stold (which
  // throws); what is left is exact enough for bytes.
  if (whole_end - number_start > 18 || number.size() > 40) return invalid(text, "too many digits");
  const long double value = std::stold(std::string(number));
  if (unit.empty()) {
    if (value == 0) return 0;
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("\"{}\" has no unit; write e.g. \"{}MB\" or \"{}MiB\"", text, number, number));
  }
  for (const auto& [name, factor] : kUnits) {
    if (!same_unit(unit, name)) continue;
    const long double bytes = std::ceil(value * static_cast<long double>(factor));
    if (bytes > static_cast<long double>(std::numeric_limits<int64_t>::max())) {
      return invalid(text, "too large");
    }
    return static_cast<int64_t>(bytes);
  }
  return invalid(text, fmt::format("unknown unit \"{}\"; expected B, kB, MB, GB, TB, KiB, MiB, "
                                   "GiB or TiB",
                                   unit));
}

std::string byte_size_text(int64_t bytes) {
  if (bytes == 0) return "0";
  // The largest unit that divides exactly, binary units first at equal size.
  static const std::array<std::pair<std::string_view, int64_t>, 8> kLargestFirst = {{
      {"TiB", kKi * kKi * kKi * kKi},
      {"TB", 1000LL * 1000 * 1000 * 1000},
      {"GiB", kKi * kKi * kKi},
      {"GB", 1000LL * 1000 * 1000},
      {"MiB", kKi * kKi},
      {"MB", 1000 * 1000},
      {"KiB", kKi},
      {"kB", 1000},
  }};
  for (const auto& [name, factor] : kLargestFirst) {
    if (bytes % factor == 0) return fmt::format("{}{}", bytes / factor, name);
  }
  return fmt::format("{}B", bytes);
}

std::string human_bytes(int64_t bytes) {
  static constexpr std::array<std::string_view, 5> kNames = {"B", "KiB", "MiB", "GiB", "TiB"};
  auto value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < kNames.size()) {
    value /= 1024;
    ++unit;
  }
  if (unit == 0) return fmt::format("{} B", bytes);
  const int decimals = value < 10 ? 2 : value < 100 ? 1 : 0;
  return fmt::format("{:.{}f} {}", value, decimals, kNames[unit]);
}

}  // namespace statefun
