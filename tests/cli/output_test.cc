#include "cli/output.h"

#include <catch2/catch.hpp>

using namespace statefun;
using namespace statefun::cli;

TEST_CASE("tables align columns by characters, not bytes, and ignore colour codes", "[cli]") {
  Table table({"NAME", "VALUE"});
  table.add({"visits", "1"});
  table.add({"größe", "2"});
  CHECK(table.render(Style(false)) ==
        "NAME    VALUE\n"
        "visits  1\n"
        "größe   2\n");
  CHECK(display_width("\x1b[1mab\x1b[0m") == 2);
  CHECK(display_width("→") == 1);
}

TEST_CASE("colour is only painted when on", "[cli]") {
  CHECK(Style(false).bold("x") == "x");
  CHECK(Style(true).bold("x") == "\x1b[1mx\x1b[0m");
  CHECK(Style::for_stdout("never").color() == false);
  CHECK(Style::for_stdout("always").color() == true);
}

TEST_CASE("errors map to the documented exit codes", "[cli]") {
  CHECK(exit_code_for(ErrorCode::kInvalidArgument) == 2);
  CHECK(exit_code_for(ErrorCode::kNotFound) == 3);
  CHECK(exit_code_for(ErrorCode::kTimeout) == 4);
  CHECK(exit_code_for(ErrorCode::kUnavailable) == 1);
  CHECK(exit_code_for(ErrorCode::kIo) == 1);
}

TEST_CASE("durations and relative times are short", "[cli]") {
  CHECK(format_duration_us(950) == "950µs");
  CHECK(format_duration_us(8000) == "8.0ms");
  CHECK(format_duration_us(1250000) == "1.25s");
  CHECK(relative_ms(4200) == "in 4.2s");
  CHECK(relative_ms(-180000) == "3m0s ago");
}
