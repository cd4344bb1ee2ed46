// How commands talk to the person (or script) that ran them: exit codes,
// one-line errors on stderr, aligned tables and JSON for `--json`. Styling,
// the colour decision and how times read come from the terminal-output
// module of emulator/console, shared with `statefun dev`'s console.
#pragma once

#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emulator/console/display_time.h"
#include "emulator/console/terminal_style.h"
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

// The commands style with emulator/console/terminal_style.h: Style (built
// with Style::for_stdout(--color)) and display_width().
using emulator::display_width;
using emulator::Style;

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

void print_json(const Json& value);       // pretty, to stdout
void print_json_line(const Json& value);  // compact, one line (streams)
void print(const std::string& text);      // as is, to stdout

// "21:58:12.350" and "8.0ms", as emulator/console/display_time.h writes them.
using emulator::clock_time;
using emulator::format_duration_us;
// "in 4.2s", "3m ago".
std::string relative_ms(int64_t delta_ms);

}  // namespace statefun::cli
