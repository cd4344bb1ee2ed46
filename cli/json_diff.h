// Where two JSON values differ, for `statefun test`'s failure messages: one
// line per differing path, e.g.
//   .amount: expected 10, got 12
//   .items[1]: missing (expected "pen")
//   .note: not expected, got "late"
#pragma once

#include <string>
#include <vector>

#include "cli/output.h"

namespace statefun::cli {

// At most `max_lines` lines (the last says how many more there were); none
// when the values are equal. Object keys are compared as sets; numbers by
// value (1 equals 1.0).
std::vector<std::string> json_diff(const Json& expected, const Json& actual,
                                   std::size_t max_lines = 20);

// Whether the two are equal as json_diff compares them.
bool json_equal(const Json& expected, const Json& actual);

}  // namespace statefun::cli
