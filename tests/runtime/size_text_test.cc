#include "runtime/core/size_text.h"

#include <catch2/catch.hpp>
#include <string>

using namespace statefun;

TEST_CASE("byte sizes read decimal and binary units, case-insensitively", "[runtime]") {
  CHECK(parse_byte_size("500MB") == 500'000'000);
  CHECK(parse_byte_size("1GiB") == 1'073'741'824);
  CHECK(parse_byte_size("1gib") == 1'073'741'824);
  CHECK(parse_byte_size("2 kB") == 2000);
  CHECK(parse_byte_size("512B") == 512);
  CHECK(parse_byte_size("1.5GB") == 1'500'000'000);
  CHECK(parse_byte_size("0") == 0);
  CHECK(parse_byte_size("3TiB") == 3LL * 1024 * 1024 * 1024 * 1024);
}

TEST_CASE("bad byte sizes name the text and what to write", "[runtime]") {
  auto bare = parse_byte_size("500");
  REQUIRE_FALSE(bare);
  CHECK(bare.error().message == "\"500\" has no unit; write e.g. \"500MB\" or \"500MiB\"");
  auto unit = parse_byte_size("10 parsecs");
  REQUIRE_FALSE(unit);
  CHECK(unit.error().message ==
        "invalid size \"10 parsecs\": unknown unit \"parsecs\"; expected B, kB, MB, GB, TB, KiB, "
        "MiB, GiB or TiB");
  for (const char* text : {"", "MB", "-1MB", ".5GB", "1.GB", "1e3MB"}) {
    INFO(text);
    auto r = parse_byte_size(text);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
  }
  CHECK_FALSE(parse_byte_size("99999999TiB"));
  // Thousands of digits would overflow std::stold, which throws.
  CHECK_FALSE(parse_byte_size(std::string(5000, '9') + "B"));
  CHECK_FALSE(parse_byte_size("1." + std::string(5000, '0') + "1GB"));
}

TEST_CASE("byte sizes print in the shortest exact form and for reading", "[runtime]") {
  CHECK(byte_size_text(1LL << 30) == "1GiB");
  CHECK(byte_size_text(500'000'000) == "500MB");
  CHECK(byte_size_text(1234) == "1234B");
  CHECK(byte_size_text(0) == "0");
  for (int64_t n : {1LL << 30, 500'000'000LL, 1234LL, 2000LL})
    CHECK(parse_byte_size(byte_size_text(n)) == n);
  CHECK(human_bytes(812) == "812 B");
  CHECK(human_bytes(12'900) == "12.6 KiB");
  CHECK(human_bytes(1LL << 30) == "1.00 GiB");
}
