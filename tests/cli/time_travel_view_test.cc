// How history, rewind, replay and snapshots read in a terminal
// (cli/time_travel_view.h), and the command line of the time-travel
// commands parsed in-process.
#include "cli/time_travel_view.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <sstream>

#include "cli/app.h"

using namespace statefun;
using namespace statefun::cli;
using Catch::Matchers::Contains;

namespace {

const Style kPlain(false);

Json int_value(int n) {
  return {{"typename", "io.statefun.types/int"},
          {"encoding", "well-known"},
          {"value", n},
          {"base64", values::base64_encode(n ? std::string("\x0d") +
                                                   std::string(reinterpret_cast<char*>(&n), 4)
                                             : std::string())}};
}

int unused_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

int run(std::vector<std::string> args) {
  args.insert(args.begin(), "statefun");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::ostringstream captured;
  auto* old = std::cout.rdbuf(captured.rdbuf());
  const int code = cli::run(static_cast<int>(argv.size()), argv.data());
  std::cout.rdbuf(old);
  return code;
}

}  // namespace

TEST_CASE("history is a table with the cause, sender and decoded value of each version", "[cli]") {
  Json row1 = {{"version", 1},
               {"name", "visits"},
               {"step", 4},
               {"at_ms", 0},
               {"cause", "example/GreetRequest"},
               {"caller", nullptr},
               {"deleted", false}};
  row1.update(int_value(1));
  Json row2 = {{"version", 2},     {"name", "visits"},    {"step", 9},
               {"at_ms", 0},       {"cause", "e2e/text"}, {"caller", "example/person/Ann"},
               {"deleted", true},  {"typename", nullptr}, {"encoding", "none"},
               {"value", nullptr}, {"base64", nullptr}};
  const Json history = {{"address", "example/person/Bob"}, {"floor", 0}, {"history", {row1, row2}}};
  const std::string table = history_table(history, nullptr, kPlain);
  std::istringstream lines(table);
  std::string header, first, second;
  std::getline(lines, header);
  std::getline(lines, first);
  std::getline(lines, second);
  CHECK(header.rfind("VERSION  STEP  TIME", 0) == 0);
  CHECK_THAT(first, Contains("example/GreetRequest  -"));
  CHECK(first.substr(first.size() - 9) == "visits  1");
  CHECK_THAT(second, Contains("example/person/Ann"));
  CHECK_THAT(second, Contains("(deleted)"));
  CHECK(table.find("folded") == std::string::npos);

  Json folded = history;
  folded["floor"] = 7;
  CHECK_THAT(history_table(folded, nullptr, kPlain), Contains("versions before 7 were folded"));
}

TEST_CASE("a rewind prints aligned before → after lines and how to undo it", "[cli]") {
  Json rewind = {{"address", "e2e/counter/c"},
                 {"dry_run", false},
                 {"from_version", 5},
                 {"to_version", 2},
                 {"new_version", 6},
                 {"changes",
                  {{{"name", "count"}, {"before", int_value(5)}, {"after", int_value(2)}},
                   {{"name", "n"}, {"before", nullptr}, {"after", int_value(0)}}}}};
  const std::string done = rewind_text(rewind, nullptr, kPlain);
  CHECK(done ==
        "e2e/counter/c: rewound to the values of version 2 as version 6 (was version 5):\n"
        "  count  5 → 2\n"
        "  n      (absent) → 0\n"
        "undo with: statefun rewind e2e/counter/c --to 5\n");
  rewind["dry_run"] = true;
  CHECK_THAT(rewind_text(rewind, nullptr, kPlain), Contains("dry run: nothing written"));
  rewind["changes"] = Json::array();
  CHECK_THAT(rewind_text(rewind, nullptr, kPlain), Contains("nothing to change"));
}

TEST_CASE("a replay dry run lists state changes and what the function would send", "[cli]") {
  const Json simulation = {
      {"address", "e2e/adder/a"},
      {"from_version", 0},
      {"replayed", 3},
      {"changes", {{{"name", "sum"}, {"before", int_value(9)}, {"after", int_value(6)}}}},
      {"messages", Json::array()},
      {"delayed",
       {{{"cancel", false},
         {"token", "t"},
         {"delay_ms", 5000},
         {"target", "e2e/x/a"},
         {"message", int_value(1)}}}},
      {"egress", {{{"egress", "io.statefun.playground/egress"}, {"record", int_value(3)}}}}};
  const std::string text = simulation_text(simulation, nullptr, kPlain);
  CHECK_THAT(text, Contains("replaying 3 messages from version 0"));
  CHECK_THAT(text, Contains("  sum  9 → 6\n"));
  CHECK_THAT(text, Contains("messages: none\n"));
  CHECK_THAT(text, Contains("⏲ e2e/x/a in 5.00s token t"));
  CHECK_THAT(text, Contains("egress (1):\n  ⇥ io.statefun.playground/egress  3\n"));

  // A playground record reads as its topic and payload.
  Json playground = simulation;
  playground["egress"][0]["record"]["value"] = {{"topic", "out"}, {"payload", "hi"}};
  CHECK_THAT(simulation_text(playground, nullptr, kPlain), Contains("  ⇥ out  hi\n"));
}

TEST_CASE("state changes compare values by type and bytes", "[cli]") {
  const Json before = {{"a", int_value(1)}, {"b", int_value(2)}};
  Json states = Json::array();
  Json a = int_value(1);
  a["name"] = "a";
  Json c = int_value(3);
  c["name"] = "c";
  states.push_back(a);
  states.push_back(c);
  const Json changes = state_changes(before, {{"states", states}});
  REQUIRE(changes.size() == 2);
  CHECK(changes[0]["name"] == "b");
  CHECK(changes[0]["after"].is_null());
  CHECK(changes[1]["name"] == "c");
  CHECK(changes[1]["before"].is_null());
}

TEST_CASE("snapshot listings and diffs are tables", "[cli]") {
  const Json list = {{"snapshots",
                      {{{"name", "before-fix"},
                        {"automatic", false},
                        {"created_at_ms", 0},
                        {"size_bytes", 49152},
                        {"last_step", 12},
                        {"entities", 3},
                        {"pending", 0},
                        {"timers", 1}}}}};
  const std::string table = snapshot_table(list, kPlain);
  CHECK(table.rfind("NAME        CREATED", 0) == 0);
  CHECK_THAT(table, Contains("48.0 KiB"));
  const Json diff = {
      {"a", "before-fix"},
      {"b", "current"},
      {"differences",
       {{{"address", "e2e/counter/c"}, {"name", "count"}, {"a", int_value(3)}, {"b", nullptr}}}}};
  const std::string lines = snapshot_diff_table(diff, nullptr, kPlain);
  CHECK(lines.rfind("ADDRESS        NAME   before-fix  current\n", 0) == 0);
  CHECK_THAT(lines, Contains("e2e/counter/c  count  3           -"));
  CHECK(snapshot_diff_table({{"a", "x"}, {"b", "y"}, {"differences", Json::array()}}, nullptr,
                            kPlain) == "no differences between x and y\n");
  CHECK(size_text(512) == "512 B");
  CHECK(size_text(3 * 1024 * 1024) == "3.0 MiB");
}

TEST_CASE("time-travel commands check their arguments before any request", "[cli]") {
  const auto port = std::to_string(unused_port());
  // Exactly one of --to, --at, --steps.
  CHECK(run({"rewind", "a/b/c", "--admin-port", port}) == 2);
  CHECK(run({"rewind", "a/b/c", "--to", "1", "--steps", "1", "--admin-port", port}) == 2);
  CHECK(run({"rewind", "a/b/c", "--at", "yesterday", "--admin-port", port}) == 2);
  CHECK(run({"rewind", "a/b", "--to", "1", "--admin-port", port}) == 2);
  CHECK(run({"replay", "a/b/c", "--admin-port", port}) == 2);  // --from is required
  CHECK(run({"snapshot", "restore", "--admin-port", port}) == 2);
  // Valid, but nothing runs there: one line, exit 1.
  CHECK(run({"rewind", "a/b/c", "--to", "1", "--admin-port", port}) == 1);
  CHECK(run({"replay", "a/b/c", "--from", "0", "--admin-port", port}) == 1);
  CHECK(run({"dev", "--snapshot-every", "10", "--admin-port", port, "-m", "/nonexistent/m.yaml"}) ==
        2);
}
