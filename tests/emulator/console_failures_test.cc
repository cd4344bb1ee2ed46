// How the console shows failures and crash loops: each reason in full once,
// then one line per repeat with a count; different reasons never folded
// into each other; a crash loop's output once, then one line per restart.
#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

#include "emulator/console/console.h"
#include "emulator/console/crash_loop_filter.h"
#include "emulator/console/failure_digest.h"

using namespace statefun;
using namespace statefun::emulator;
using Show = FailureDigest::Verdict::Show;
using std::chrono::milliseconds;

namespace {

const Address kBob{{"e2e", "thrower"}, "Bob"};
const Address kAlice{{"e2e", "thrower"}, "Alice"};

CallFailure http_500(std::string line) {
  CallFailure f = CallFailure::of(CallFailure::Kind::kHttpStatus, "HTTP 500");
  f.http_status = 500;
  f.process = "functions";
  f.output.push_back({0, true, std::move(line)});
  f.attempt = 1;
  f.messages = 1;
  return f;
}

std::string read_all(std::FILE* f) {
  std::rewind(f);
  std::string text;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, f)) text += buffer;
  return text;
}

int count_of(const std::string& text, const std::string& part) {
  int n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("failure digest: a reason in full once, then repeats at most once a second",
          "[emulator]") {
  FailureDigest digest;
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(digest.admit(kBob, http_500("Error: boom"), t0).show == Show::kFull);
  CHECK(digest.admit(kBob, http_500("Error: boom"), t0 + milliseconds(2)).show == Show::kNothing);
  CHECK(digest.admit(kAlice, http_500("Error: boom"), t0 + milliseconds(5)).show == Show::kNothing);
  const auto repeat = digest.admit(kBob, http_500("Error: boom"), t0 + milliseconds(1100));
  CHECK(repeat.show == Show::kRepeat);
  CHECK(repeat.repeats == 3);
  CHECK(repeat.held_back == 3);
  CHECK(digest.admit(kBob, http_500("Error: boom"), t0 + milliseconds(2000)).show ==
        Show::kNothing);  // the gap doubles: 2 s after the last line
  CHECK(digest.admit(kBob, http_500("Error: boom"), t0 + milliseconds(3200)).show == Show::kRepeat);
  // Lines shown with a failure are known, so the console can leave them out.
  CHECK(digest.known_failure_line("functions", "Error: boom", t0 + milliseconds(2300)));
  CHECK_FALSE(digest.known_failure_line("functions", "listening", t0 + milliseconds(2300)));
  CHECK_FALSE(digest.known_failure_line("other", "Error: boom", t0 + milliseconds(2300)));
}

TEST_CASE("failure digest: digits do not make a reason new (times, pids in a log line)",
          "[emulator]") {
  FailureDigest digest;
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(digest.admit(kBob, http_500("12:00:01 Error: boom (pid 41)"), t0).show == Show::kFull);
  CHECK(digest.admit(kBob, http_500("12:00:03 Error: boom (pid 1042)"), t0 + milliseconds(1500))
            .show == Show::kRepeat);
  CHECK(digest.admit(kBob, http_500("12:00:04 Error: bang (pid 1042)"), t0 + milliseconds(1600))
            .show == Show::kFull);
}

TEST_CASE("failure digest: different reasons within one second are each shown in full",
          "[emulator]") {
  FailureDigest digest;
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(digest.admit(kBob, http_500("Error: boom"), t0).show == Show::kFull);
  CHECK(digest.admit(kAlice, http_500("TypeError: x is undefined"), t0 + milliseconds(1)).show ==
        Show::kFull);
  CallFailure refused = CallFailure::of(CallFailure::Kind::kConnect, "could not connect");
  CHECK(digest.admit(kBob, refused, t0 + milliseconds(2)).show == Show::kFull);
  // The same reason for another function type is news too.
  CHECK(
      digest.admit({{"e2e", "other"}, "Bob"}, http_500("Error: boom"), t0 + milliseconds(3)).show ==
      Show::kFull);
}

TEST_CASE("console: a failure's full reason once with its output, then a count line",
          "[emulator]") {
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  {
    Console console({.out = out, .err = err});
    // The process prints its stack trace on every attempt.
    console.on_output("functions", OutputStream::kStderr, "Error: boom");
    console.on_call_failed(kBob, http_500("Error: boom"));
    console.on_output("functions", OutputStream::kStderr, "Error: boom");  // the retry
    CallFailure again = http_500("Error: boom");
    again.attempt = 2;
    console.on_call_failed(kBob, again);
    console.on_call_failed(kAlice, http_500("TypeError: x is undefined"));
  }
  const std::string printed = read_all(err);
  INFO(printed);
  CHECK(count_of(printed, "e2e/thrower/Bob failed (attempt 1): HTTP 500; message kept, retrying") ==
        1);
  CHECK(count_of(printed, "failed again") == 0);  // the repeat came within the second
  CHECK(count_of(printed, "[functions] printed during the call:") == 2);
  CHECK(count_of(printed, "[functions] | Error: boom") == 1);
  // The second, different reason within the same second is shown in full.
  CHECK(count_of(printed, "e2e/thrower/Alice failed (attempt 1): HTTP 500") == 1);
  CHECK(count_of(printed, "[functions] | TypeError: x is undefined") == 1);
  CHECK(count_of(printed, "more failures") == 0);
  // The live output: the first stack trace, not the retry's.
  CHECK(read_all(out) == "[functions] Error: boom\n");
}

TEST_CASE("crash loop filter: the same output on each restart is held and summed up",
          "[emulator]") {
  CrashLoopFilter filter;
  std::vector<std::string> flush;
  CHECK_FALSE(filter.started("p"));
  CHECK(filter.line("p", "Error: cannot find module 'x' (pid 41)") ==
        std::vector<std::string>{"Error: cannot find module 'x' (pid 41)"});
  CHECK(filter.exited("p", flush) == 0);
  CHECK(flush.empty());
  // Second run: the same lines (digits aside) are held; the exit is a repeat.
  CHECK_FALSE(filter.started("p"));
  CHECK(filter.line("p", "Error: cannot find module 'x' (pid 42)").empty());
  CHECK(filter.exited("p", flush) == 2);
  CHECK(filter.started("p"));  // the loop is established
  CHECK(filter.line("p", "Error: cannot find module 'x' (pid 43)").empty());
  CHECK(filter.exited("p", flush) == 3);
  // A run that prints something new shows everything it held, then itself.
  filter.started("p");
  CHECK(filter.line("p", "Error: cannot find module 'x' (pid 44)").empty());
  CHECK(filter.line("p", "listening on 8000") ==
        std::vector<std::string>{"Error: cannot find module 'x' (pid 44)", "listening on 8000"});
  // Ready: nothing is held any more, later lines print at once.
  CHECK(filter.release("p").empty());
  CHECK(filter.line("p", "Error: cannot find module 'x' (pid 44)").size() == 1);
}

TEST_CASE("crash loop filter: a run that becomes ready releases what it held", "[emulator]") {
  CrashLoopFilter filter;
  std::vector<std::string> flush;
  filter.started("p");
  filter.line("p", "starting");
  REQUIRE(filter.exited("p", flush) == 0);
  filter.started("p");
  CHECK(filter.line("p", "starting").empty());
  CHECK(filter.release("p") == std::vector<std::string>{"starting"});
  // An exit after fewer lines than before is not a repeat: held lines flush.
  filter.started("p");
  filter.line("p", "starting");
  filter.line("p", "crashing");
  REQUIRE(filter.exited("p", flush) == 0);
  filter.started("p");
  CHECK(filter.line("p", "starting").empty());
  CHECK(filter.exited("p", flush) == 0);
  CHECK(flush == std::vector<std::string>{"starting"});
}

TEST_CASE("console: a crash loop prints its output once, then one line per restart", "[emulator]") {
  using Kind = ProcessEvent::Kind;
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  {
    Console console({.out = out, .err = err});
    for (int run = 0; run < 4; ++run) {
      console.on_process_event({.kind = Kind::kStarted,
                                .process = "functions",
                                .pid = 100 + run,
                                .detail = "node functions.js"});
      console.on_output("functions", OutputStream::kStderr, "Error: Cannot find module 'x'");
      console.on_output("functions", OutputStream::kStderr, "    at Module._load (node:internal)");
      console.on_process_event({.kind = Kind::kExited,
                                .process = "functions",
                                .pid = 100 + run,
                                .status = ExitStatus{1, 0},
                                .before_ready = true,
                                .restart_in = milliseconds(500)});
    }
  }
  const std::string printed = read_all(out) + read_all(err);
  INFO(printed);
  CHECK(count_of(printed, "Error: Cannot find module 'x'") == 1);
  CHECK(count_of(printed, "exited with code 1 again before it was ready, with the same output") ==
        3);
  CHECK(count_of(printed, "(2 runs in a row; pid 101)") == 1);
  CHECK(count_of(printed, "(4 runs in a row; pid 103)") == 1);
  // Once the loop is established its starts need no line of their own.
  CHECK(count_of(printed, "$ node functions.js") == 2);
}

TEST_CASE("console: a long command is shortened in its start line", "[emulator]") {
  std::FILE* out = std::tmpfile();
  const std::string classpath(300, 'x');
  {
    Console console({.out = out, .err = out});
    console.on_process_event({.kind = ProcessEvent::Kind::kStarted,
                              .process = "java",
                              .pid = 7,
                              .detail = "java -cp " + classpath + " com.example.Main"});
  }
  const std::string printed = read_all(out);
  INFO(printed);
  CHECK(printed.size() < 140);
  CHECK(printed.starts_with("[java] $ java -cp xxx"));
  CHECK(printed.find(" … ") != std::string::npos);
  CHECK(printed.ends_with("com.example.Main  (pid 7)\n"));
}
