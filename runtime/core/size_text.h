// Byte sizes for humans: the one grammar of `--retention-size`, statefun.yaml
// and the admin API, and the text statefun prints for sizes.
//
//   parse_byte_size("500MB") == 500'000'000     (kB, MB, GB, TB: powers of 1000)
//   parse_byte_size("1GiB")  == 1'073'741'824   (KiB, MiB, GiB, TiB: powers of 1024)
//   parse_byte_size("1.5GB"), "512B", "0"       (a fraction; bytes; zero needs no unit)
//
// Units are case-insensitive; a space may separate number and unit. A
// number other than 0 needs a unit, since "500" could mean bytes or MB.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/core/result.h"

namespace statefun {

// A non-negative size in bytes. kInvalidArgument names the text:
//   invalid size "10 parsecs": unknown unit "parsecs"; expected B, kB, MB, GB, TB, KiB, MiB, GiB
//   or TiB
//   "500" has no unit; write e.g. "500MB" or "500MiB"
Result<int64_t> parse_byte_size(std::string_view text);

// The shortest exact form parse_byte_size reads back: "1GiB", "500MB", "0",
// "1234B".
std::string byte_size_text(int64_t bytes);

// About three significant digits, for reading: "0 B", "812 B", "12.3 KiB",
// "1.00 GiB".
std::string human_bytes(int64_t bytes);

}  // namespace statefun
