#include "emulator/console/step_line.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

#include "emulator/console/console.h"
#include "emulator/console/display_time.h"

using namespace statefun;
using namespace statefun::emulator;

namespace {

// Local time is UTC for one scope, so clock times are the same everywhere.
class UtcClock {
 public:
  UtcClock() {
    if (const char* old = std::getenv("TZ")) m_old = old;
    setenv("TZ", "UTC", 1);
    tzset();
  }
  ~UtcClock() {
    if (m_old) {
      setenv("TZ", m_old->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }
  UtcClock(const UtcClock&) = delete;
  UtcClock& operator=(const UtcClock&) = delete;

 private:
  std::optional<std::string> m_old;
};

// 2025-11-24T21:58:12.359Z
constexpr int64_t kAt = 1764021492359;

TraceRecord greet_step() {
  TraceRecord step;
  step.step = 1;
  step.at_ms = kAt;
  step.address = {{"example", "person"}, "Bob"};
  step.invocations = 1;
  step.first_type = "example/GreetRequest";
  step.duration_us = 8000;
  step.changed_states = {"visits"};
  step.messages = 1;
  return step;
}

std::string read_all(std::FILE* file) {
  std::rewind(file);
  std::string text;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, file)) text += buffer;
  return text;
}

}  // namespace

TEST_CASE("times and durations read short", "[emulator]") {
  UtcClock utc;
  CHECK(clock_time(kAt) == "21:58:12.359");
  CHECK(format_duration_us(950) == "950µs");
  CHECK(format_duration_us(8000) == "8.0ms");
  CHECK(format_duration_us(1250000) == "1.25s");
}

TEST_CASE("step line: time, address, type, response time, step id, effects", "[emulator]") {
  UtcClock utc;
  CHECK(step_line(greet_step(), Style(false)) ==
        "21:58:12.359 example/person/Bob example/GreetRequest 8.0ms #1 state: visits → 1 msg");

  TraceRecord quiet = greet_step();
  quiet.changed_states.clear();
  quiet.messages = 0;
  CHECK(step_line(quiet, Style(false)) ==
        "21:58:12.359 example/person/Bob example/GreetRequest 8.0ms #1");

  TraceRecord busy = greet_step();
  busy.changed_states = {"visits", "seen"};
  busy.messages = 2;
  busy.delayed = 3;
  busy.egress = 4;
  CHECK(step_line(busy, Style(false)) ==
        "21:58:12.359 example/person/Bob example/GreetRequest 8.0ms #1 state: visits seen → 2 "
        "msg ⏲ 3 delayed ⇥ 4 egress");
}

TEST_CASE("step line: a batch names its size and first type, an admin edit says admin",
          "[emulator]") {
  UtcClock utc;
  TraceRecord batch = greet_step();
  batch.step = 7;
  batch.invocations = 3;
  batch.duration_us = 1250000;
  CHECK(step_line(batch, Style(false)) ==
        "21:58:12.359 example/person/Bob 3 messages (example/GreetRequest first) 1.25s #7 state: "
        "visits → 1 msg");

  TraceRecord edit = greet_step();
  edit.step = 8;
  edit.invocations = 0;
  edit.first_type = "statefun/state-set";
  edit.duration_us = 0;
  edit.messages = 0;
  CHECK(step_line(edit, Style(false)) ==
        "21:58:12.359 example/person/Bob statefun/state-set admin #8 state: visits");

  // With a note (every edit since schema 2): what it did, not "0 messages".
  edit.note = "state set: visits";
  CHECK(step_line(edit, Style(false)) ==
        "21:58:12.359 example/person/Bob statefun/state-set #8 state set: visits");
}

TEST_CASE("step line: styled, time, response time and step id are dim, the address bold",
          "[emulator]") {
  UtcClock utc;
  CHECK(step_line(greet_step(), Style(true)) ==
        "\x1b[2m21:58:12.359\x1b[0m \x1b[1mexample/person/Bob\x1b[0m example/GreetRequest "
        "\x1b[2m8.0ms\x1b[0m \x1b[2m#1\x1b[0m state: visits → 1 msg");
}

TEST_CASE("console: one line per step, the step line itself", "[emulator]") {
  UtcClock utc;
  for (const bool color : {false, true}) {
    std::FILE* out = std::tmpfile();
    std::FILE* err = std::tmpfile();
    {
      Console console({.color = color, .out = out, .err = err});
      console.on_step(greet_step());
    }
    CHECK(read_all(out) == step_line(greet_step(), Style(color)) + "\n");
    CHECK(read_all(err).empty());
    std::fclose(out);
    std::fclose(err);
  }
}

TEST_CASE("console: plain output never carries escape codes", "[emulator]") {
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  {
    Console console({.color = false, .out = out, .err = err});
    console.banner({.version = "1", .module_path = "module.yaml", .routes = {{"a/*", "u", "p"}}});
    console.on_step(greet_step());
    console.warn("careful");
    console.error("broken");
    console.on_output("functions", OutputStream::kStdout, "hello");
    console.on_process_event({.kind = ProcessEvent::Kind::kStopped, .process = "functions"});
  }
  const std::string text = read_all(out) + read_all(err);
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(text.find("warning: careful") != std::string::npos);
  std::fclose(out);
  std::fclose(err);
}

TEST_CASE("console: coloured output styles labels and process names", "[emulator]") {
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  {
    Console console({.color = true, .out = out, .err = err});
    console.warn("careful");
    console.on_output("functions", OutputStream::kStdout, "hello");
    console.on_output("other", OutputStream::kStdout, "hi");
  }
  CHECK(read_all(err) == "\x1b[33mwarning: \x1b[0mcareful\n");
  CHECK(read_all(out) ==
        "\x1b[36m[functions]\x1b[0m hello\n"
        "\x1b[35m[other]\x1b[0m hi\n");
  std::fclose(out);
  std::fclose(err);
}
