// How commands talk to the person (or script) that ran them: exit codes,
// one-line errors on stderr, aligned tables, colour only on a terminal, and
// JSON for `--json`.
#pragma once

#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/core/result.h"

namespace statefun::cli {

using Json = nlohmann::json;

// The documented exit codes of every command.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,
  kExitUsage = 2,
  kExitNotFound = 3,
  kExitTimeout = 4,
};

// kInvalidArgument -> 2, kNotFound -> 3, kTimeout -> 4, anything else -> 1.
int exit_code_for(ErrorCode code);

// Prints "statefun: <message>" on stderr and returns the error's exit code.
int report(const Error& error);
int report(ErrorCode code, const std::string& message);

// ANSI styling that is a no-op when colour is off.
class Style {
 public:
  explicit Style(bool color) : m_color(color) {}
  // `mode` is auto, always or never; auto means "stdout is a terminal and
  // NO_COLOR is not set".
  static Style for_stdout(const std::string& mode);

  bool color() const { return m_color; }
  std::string bold(std::string_view s) const { return paint("1", s); }
  std::string dim(std::string_view s) const { return paint("2", s); }
  std::string red(std::string_view s) const { return paint("31", s); }
  std::string green(std::string_view s) const { return paint("32", s); }
  std::string yellow(std::string_view s) const { return paint("33", s); }
  std::string cyan(std::string_view s) const { return paint("36", s); }

 private:
  std::string paint(const char* code, std::string_view s) const;
  bool m_color;
};

// Columns padded to the widest cell (counted in characters, not bytes);
// the last column is never padded. Cells may carry ANSI colour codes.
class Table {
 public:
  explicit Table(std::vector<std::string> headers) : m_headers(std::move(headers)) {}
  void add(std::vector<std::string> row) { m_rows.push_back(std::move(row)); }
  bool empty() const { return m_rows.empty(); }
  std::string render(const Style& style) const;

 private:
  std::vector<std::string> m_headers;
  std::vector<std::vector<std::string>> m_rows;
};

// Width on a terminal: UTF-8 code points, ANSI escape sequences excluded.
std::size_t display_width(std::string_view text);

void print_json(const Json& value);       // pretty, to stdout
void print_json_line(const Json& value);  // compact, one line (streams)
void print(const std::string& text);      // as is, to stdout

// "21:58:12.350" in local time.
std::string clock_time(int64_t ms);
// "950µs", "8.0ms", "1.25s".
std::string format_duration_us(int64_t us);
// "in 4.2s", "3m ago".
std::string relative_ms(int64_t delta_ms);

}  // namespace statefun::cli
