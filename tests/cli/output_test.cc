#include "cli/output.h"

#include <catch2/catch.hpp>

#include "cli/common.h"
#include "emulator/admin/admin_json.h"
#include "emulator/console/step_line.h"

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

TEST_CASE("statefun trace prints a step exactly as the dev console does", "[cli]") {
  // What the console gets from the engine, and what `statefun trace` gets
  // for the same step from the admin API (or the database, offline).
  TraceRecord step;
  step.step = 12;
  step.at_ms = 1764021492359;
  step.address = {{"example", "person"}, "Bob"};
  step.invocations = 2;
  step.first_type = "example/GreetRequest";
  step.duration_us = 950;
  step.changed_states = {"visits"};
  step.messages = 1;
  step.delayed = 1;
  step.egress = 2;
  const Json document = emulator::trace_json(step);
  for (const bool color : {false, true}) {
    CHECK(step_line(document, Style(color)) == emulator::step_line(step, Style(color)));
  }
  CHECK(emulator::trace_from_json(document).changed_states == step.changed_states);
}
