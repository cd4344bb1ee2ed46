#include "cli/output.h"

#include <fmt/format.h>

#include <algorithm>
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
