#include "cli/output.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <iostream>

namespace statefun::cli {

int exit_code_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return kExitUsage;
    case ErrorCode::kNotFound:
      return kExitNotFound;
    case ErrorCode::kTimeout:
      return kExitTimeout;
    default:
      return kExitFailure;
  }
}

int report(const Error& error) {
  std::fflush(stdout);
  std::fprintf(stderr, "statefun: %s\n", error.message.c_str());
  return exit_code_for(error.code);
}

int report(ErrorCode code, const std::string& message) { return report(Error{code, message}); }

Style Style::for_stdout(const std::string& mode) {
  if (mode == "always") return Style(true);
  if (mode == "never") return Style(false);
  const char* no_color = std::getenv("NO_COLOR");
  return Style(isatty(STDOUT_FILENO) && !(no_color && *no_color));
}

std::string Style::paint(const char* code, std::string_view s) const {
  if (!m_color || s.empty()) return std::string(s);
  return fmt::format("\x1b[{}m{}\x1b[0m", code, s);
}

std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == 0x1b && i + 1 < text.size() && text[i + 1] == '[') {
      i += 2;
      while (i < text.size() && !(text[i] >= '@' && text[i] <= '~')) ++i;
      continue;
    }
    if ((c & 0xc0) != 0x80) ++width;  // count lead bytes only
  }
  return width;
}

std::string Table::render(const Style& style) const {
  std::vector<std::size_t> widths(m_headers.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  };
  measure(m_headers);
  for (const auto& row : m_rows) measure(row);
  auto line = [&](const std::vector<std::string>& row, bool header) {
    std::string out;
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      const std::string cell = header ? style.bold(row[i]) : row[i];
      out += cell;
      if (i + 1 < row.size()) out += std::string(widths[i] - display_width(row[i]) + 2, ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(m_headers, true);
  for (const auto& row : m_rows) out += line(row, false);
  return out;
}

void print_json(const Json& value) {
  std::cout << value.dump(2, ' ', false, Json::error_handler_t::replace) << std::endl;
}

void print_json_line(const Json& value) {
  std::cout << value.dump(-1, ' ', false, Json::error_handler_t::replace) << std::endl;
}

void print(const std::string& text) {
  std::cout << text;
  std::cout.flush();
}

std::string clock_time(int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm local{};
  localtime_r(&seconds, &local);
  return fmt::format("{:02}:{:02}:{:02}.{:03}", local.tm_hour, local.tm_min, local.tm_sec,
                     ms % 1000);
}

std::string format_duration_us(int64_t us) {
  if (us < 1000) return fmt::format("{}µs", us);
  if (us < 1000000) return fmt::format("{:.1f}ms", us / 1000.0);
  return fmt::format("{:.2f}s", us / 1e6);
}

std::string relative_ms(int64_t delta_ms) {
  const int64_t magnitude = delta_ms < 0 ? -delta_ms : delta_ms;
  std::string amount;
  if (magnitude < 1000) {
    amount = fmt::format("{}ms", magnitude);
  } else if (magnitude < 60000) {
    amount = fmt::format("{:.1f}s", magnitude / 1000.0);
  } else if (magnitude < 3600000) {
    amount = fmt::format("{}m{}s", magnitude / 60000, magnitude % 60000 / 1000);
  } else {
    amount = fmt::format("{}h{}m", magnitude / 3600000, magnitude % 3600000 / 60000);
  }
  return delta_ms < 0 ? amount + " ago" : "in " + amount;
}

}  // namespace statefun::cli
