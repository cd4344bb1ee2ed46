// The command line parsed in-process (no emulator runs on the port used):
// usage errors exit 2, a missing emulator exits 1, completion scripts call
// `statefun __complete`, which completes from the command tree.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.h"
#include "cli/common.h"

using namespace statefun;

namespace {

using Catch::Matchers::Contains;

// A loopback port nothing listens on (bound, then released).
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

struct Run {
  int code = 0;
  std::string out;
};

Run run(std::vector<std::string> args) {
  args.insert(args.begin(), "statefun");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::ostringstream captured;
  auto* old = std::cout.rdbuf(captured.rdbuf());
  Run result;
  result.code = cli::run(static_cast<int>(argv.size()), argv.data());
  std::cout.rdbuf(old);
  result.out = captured.str();
  return result;
}

}  // namespace

TEST_CASE("an address with the wrong number of parts is a usage error", "[cli]") {
  const auto port = std::to_string(unused_port());
  CHECK(run({"state", "get", "a/b", "--admin-port", port}).code == 2);
  CHECK(run({"state", "get", "a/b/c/d", "--admin-port", port}).code == 2);
  CHECK(run({"send", "a//c", "--int", "1", "--admin-port", port}).code == 2);
  CHECK(run({"state", "ls", "a/b/c", "--admin-port", port}).code == 2);
  CHECK(run({"timers", "ls", "nope", "--admin-port", port}).code == 2);
}

TEST_CASE("a value that does not parse as its type is a usage error before any request", "[cli]") {
  const auto port = std::to_string(unused_port());
  CHECK(run({"send", "a/b/c", "--type", "io.statefun.types/int", "x", "--admin-port", port}).code ==
        2);
  CHECK(run({"send", "a/b/c", "--type", "a/Json", "--json", "{", "--admin-port", port}).code == 2);
  CHECK(run({"send", "a/b/c", "--json", "{}", "--admin-port", port}).code == 2);  // no --type
  CHECK(run({"send", "a/b/c", "--int", "1", "--string", "x", "--admin-port", port}).code == 2);
  CHECK(run({"wait", "--timeout", "soon", "--admin-port", port}).code == 2);
}

// Issue 12: flags disagreed on durations. Each text below was a usage error
// (exit 2) for one flag while another took it; now every flag reads the one
// grammar, so these get as far as the missing emulator (exit 1).
TEST_CASE("wait --timeout takes 2min, as dev --retention does", "[cli]") {
  const auto port = std::to_string(unused_port());
  CHECK(run({"wait", "--timeout", "2min", "--admin-port", port}).code == 1);
  CHECK(
      run({"dev", "--retention", "2min", "--admin-port", port, "-m", "/nonexistent/m.yaml"}).code ==
      1);
  CHECK(run({"send", "a/b/c", "--int", "1", "--wait", "--timeout", "2min", "--admin-port", port})
            .code == 1);
  CHECK(run({"replay", "a/b/c", "--from", "0", "--timeout", "2min", "--admin-port", port}).code ==
        1);
}

TEST_CASE("rewind --at takes 1m30s, as trace --since does", "[cli]") {
  const auto port = std::to_string(unused_port());
  CHECK(run({"rewind", "a/b/c", "--at", "1m30s", "--admin-port", port}).code == 1);
  CHECK(run({"rewind", "a/b/c", "--at", "1m30s ago", "--admin-port", port}).code == 1);
  CHECK(run({"trace", "--since", "1m30s", "--admin-port", port, "--data", "/nonexistent/statefun"})
            .code == 1);
  CHECK(run({"dev", "--retention", "1m30s", "--admin-port", port, "-m", "/nonexistent/m.yaml"})
            .code == 1);
}

TEST_CASE("--timeout takes 1d, as statefun.yaml takes 7d", "[cli]") {
  const auto port = std::to_string(unused_port());
  CHECK(run({"wait", "--timeout", "1d", "--admin-port", port}).code == 1);
  CHECK(run({"send", "a/b/c", "--int", "1", "--wait", "--timeout", "1d", "--admin-port", port})
            .code == 1);
  CHECK(run({"trace", "--since", "7d", "--admin-port", port, "--data", "/nonexistent/statefun"})
            .code == 1);
}

TEST_CASE("a duration or time flag that does not parse is a usage error", "[cli]") {
  const auto port = std::to_string(unused_port());
  CHECK(run({"wait", "--timeout", "1h30", "--admin-port", port}).code == 2);
  CHECK(run({"trace", "--since", "yesterday", "--admin-port", port}).code == 2);
  CHECK(run({"rewind", "a/b/c", "--at", "12", "--admin-port", port}).code == 2);
  CHECK(run({"dev", "--retention", "10", "--admin-port", port, "-m", "/nonexistent/m.yaml"}).code ==
        2);
}

TEST_CASE("unknown flags and missing arguments exit 2", "[cli]") {
  CHECK(run({"state", "get"}).code == 2);
  CHECK(run({"egress", "read"}).code == 2);
  CHECK(run({"trace", "--no-such-flag"}).code == 2);
  CHECK(run({"completion", "tcsh"}).code == 2);
}

TEST_CASE("commands that need an emulator exit 1 with one line when none runs", "[cli]") {
  const auto port = std::to_string(unused_port());
  CHECK(run({"status", "--admin-port", port}).code == 1);
  CHECK(run({"wait", "--admin-port", port}).code == 1);
  CHECK(run({"send", "a/b/c", "--int", "1", "--admin-port", port}).code == 1);
  CHECK(run({"timers", "fire", "1", "--admin-port", port}).code == 1);
  // Reads fall back to the database, which does not exist here either.
  CHECK(run({"state", "ls", "--admin-port", port, "--data", "/nonexistent/statefun"}).code == 1);
}

TEST_CASE("status --json says not running", "[cli]") {
  const auto port = std::to_string(unused_port());
  auto r = run({"status", "--json", "--admin-port", port});
  CHECK(r.code == 1);
  auto body = cli::Json::parse(r.out);
  CHECK(body["running"] == false);
}

TEST_CASE("completion scripts ask statefun __complete on every TAB", "[cli]") {
  auto bash = run({"completion", "bash"});
  CHECK(bash.code == 0);
  CHECK_THAT(bash.out, Contains("complete -o default -F _statefun statefun"));
  CHECK_THAT(bash.out, Contains("__complete \"${COMP_WORDS[@]:1:COMP_CWORD}\""));
  auto zsh = run({"completion", "zsh"});
  CHECK(zsh.code == 0);
  CHECK(zsh.out.rfind("#compdef statefun", 0) == 0);
  CHECK_THAT(zsh.out, Contains("__complete \"${(@)words[2,CURRENT]}\""));
  auto fish = run({"completion", "fish"});
  CHECK(fish.code == 0);
  CHECK_THAT(fish.out, Contains("complete -c statefun -f -a '(__statefun_complete)'"));
}

// The candidates `statefun __complete WORDS...` prints, without descriptions.
std::vector<std::string> complete(std::vector<std::string> words) {
  words.insert(words.begin(), "__complete");
  auto result = run(words);
  REQUIRE(result.code == 0);
  std::vector<std::string> out;
  std::istringstream lines(result.out);
  for (std::string line; std::getline(lines, line);) out.push_back(line.substr(0, line.find('\t')));
  return out;
}

TEST_CASE("__complete: commands, flags and fixed values from the command tree", "[cli]") {
  using Catch::Matchers::VectorContains;
  const auto top = complete({""});
  CHECK_THAT(top, VectorContains(std::string("send")));
  CHECK_THAT(top, VectorContains(std::string("snapshot")));
  CHECK(std::ranges::none_of(top, [](const std::string& w) { return w.starts_with("__"); }));
  CHECK(complete({"sn"}) == std::vector<std::string>{"snapshot"});
  CHECK(complete({"state", "g"}) == std::vector<std::string>{"get"});
  CHECK_THAT(complete({"trace", "--fo"}), VectorContains(std::string("--follow")));
  CHECK(complete({"completion", ""}) == std::vector<std::string>{"bash", "zsh", "fish"});
  CHECK(complete({"init", "--lang", "p"}) == std::vector<std::string>{"python"});
  CHECK(complete({"init", "--lang=j"}) == std::vector<std::string>{"--lang=js", "--lang=java"});
  CHECK(complete({"init", "--lang", "=", ""}).size() == 5);  // bash's words for --lang=
  CHECK(complete({"init", "-l", "cpp", "--template", "s"}) ==
        std::vector<std::string>{"shopping-cart"});
  CHECK(complete({"dev", "--color", ""}) == std::vector<std::string>{"auto", "always", "never"});
  CHECK(complete({"dev", "--", "node", ""}).empty());  // a command: file names
}

TEST_CASE("__complete: no emulator and no database is no candidates, not an error", "[cli]") {
  const auto port = std::to_string(unused_port());
  CHECK(complete({"state", "get", "--admin-port", port, "--data", "/nonexistent/statefun", ""})
            .empty());
  CHECK(
      complete({"timers", "cancel", "--admin-port", port, "--data", "/nonexistent/x", ""}).empty());
}
