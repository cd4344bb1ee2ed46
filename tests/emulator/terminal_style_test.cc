#include "emulator/console/terminal_style.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <optional>
#include <string>

using namespace statefun::emulator;

namespace {

// Sets (or unsets, for nullopt) an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : m_name(name) {
    if (const char* old = std::getenv(name)) m_old = old;
    if (value) {
      setenv(name, value->c_str(), 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (m_old) {
      setenv(m_name, m_old->c_str(), 1);
    } else {
      unsetenv(m_name);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* m_name;
  std::optional<std::string> m_old;
};

ColorEnvironment terminal(std::optional<std::string> no_color) {
  return {.terminal = true, .no_color = std::move(no_color)};
}

}  // namespace

TEST_CASE("colour: --color spells auto, always or never", "[emulator]") {
  CHECK(parse_color_mode("auto") == ColorMode::kAuto);
  CHECK(parse_color_mode("always") == ColorMode::kAlways);
  CHECK(parse_color_mode("never") == ColorMode::kNever);
  CHECK_FALSE(parse_color_mode("yes"));
  CHECK_FALSE(parse_color_mode(""));
}

TEST_CASE("colour: auto colours a terminal unless NO_COLOR is set and not empty", "[emulator]") {
  CHECK(use_color(ColorMode::kAuto, terminal(std::nullopt)));
  CHECK(use_color(ColorMode::kAuto, terminal("")));  // empty counts as unset
  CHECK_FALSE(use_color(ColorMode::kAuto, terminal("1")));
  CHECK_FALSE(use_color(ColorMode::kAuto, terminal("0")));  // any value, even 0
  CHECK_FALSE(use_color(ColorMode::kAuto, terminal("false")));
}

TEST_CASE("colour: auto never colours what is not a terminal", "[emulator]") {
  CHECK_FALSE(use_color(ColorMode::kAuto, {.terminal = false, .no_color = std::nullopt}));
  CHECK_FALSE(use_color(ColorMode::kAuto, {.terminal = false, .no_color = ""}));
}

TEST_CASE("colour: the --color flag wins over the terminal and NO_COLOR", "[emulator]") {
  const ColorEnvironment pipe_with_no_color{.terminal = false, .no_color = "1"};
  CHECK(use_color(ColorMode::kAlways, pipe_with_no_color));
  CHECK(use_color(ColorMode::kAlways, terminal(std::nullopt)));
  CHECK_FALSE(use_color(ColorMode::kNever, terminal(std::nullopt)));
  CHECK_FALSE(use_color(ColorMode::kNever, pipe_with_no_color));
}

TEST_CASE("colour: the environment is read from NO_COLOR and the streams", "[emulator]") {
  int pipe_fds[2];
  REQUIRE(pipe(pipe_fds) == 0);
  {
    ScopedEnv unset("NO_COLOR", std::nullopt);
    const auto environment = color_environment({pipe_fds[1]});
    CHECK_FALSE(environment.terminal);
    CHECK_FALSE(environment.no_color);
    CHECK_FALSE(Style::for_streams(ColorMode::kAuto, {pipe_fds[1]}).color());
    CHECK(Style::for_streams(ColorMode::kAlways, {pipe_fds[1]}).color());
  }
  {
    ScopedEnv set("NO_COLOR", "1");
    CHECK(color_environment({pipe_fds[1]}).no_color == "1");
  }
  {
    ScopedEnv empty("NO_COLOR", "");
    CHECK(color_environment({pipe_fds[1]}).no_color == "");
  }
  CHECK_FALSE(color_environment({}).terminal);  // no stream: nothing to colour
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

TEST_CASE("colour: a pseudo-terminal counts as a terminal, but every stream must be one",
          "[emulator]") {
  const int master = posix_openpt(O_RDWR | O_NOCTTY);
  REQUIRE(master >= 0);
  REQUIRE(grantpt(master) == 0);
  REQUIRE(unlockpt(master) == 0);
  const int tty = open(ptsname(master), O_RDWR | O_NOCTTY);
  REQUIRE(tty >= 0);
  int pipe_fds[2];
  REQUIRE(pipe(pipe_fds) == 0);

  CHECK(color_environment({tty}).terminal);
  CHECK(color_environment({tty, tty}).terminal);
  CHECK_FALSE(color_environment({tty, pipe_fds[1]}).terminal);
  {
    ScopedEnv unset("NO_COLOR", std::nullopt);
    CHECK(Style::for_streams(ColorMode::kAuto, {tty}).color());
  }
  {
    ScopedEnv set("NO_COLOR", "1");
    CHECK_FALSE(Style::for_streams(ColorMode::kAuto, {tty}).color());
  }
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  close(tty);
  close(master);
}

TEST_CASE("style: plain text when off, one escape code and a reset when on", "[emulator]") {
  const Style plain(false);
  CHECK(plain.bold("x") == "x");
  CHECK(plain.red("x") == "x");
  CHECK(plain.tint(3, "x") == "x");

  const Style color(true);
  CHECK(color.bold("x") == "\x1b[1mx\x1b[0m");
  CHECK(color.dim("x") == "\x1b[2mx\x1b[0m");
  CHECK(color.red("x") == "\x1b[31mx\x1b[0m");
  CHECK(color.green("x") == "\x1b[32mx\x1b[0m");
  CHECK(color.yellow("x") == "\x1b[33mx\x1b[0m");
  CHECK(color.cyan("x") == "\x1b[36mx\x1b[0m");
  CHECK(color.bold("") == "");                    // nothing to colour, no codes
  CHECK(color.red("{}") == "\x1b[31m{}\x1b[0m");  // text is never a format string
}

TEST_CASE("style: tints cycle through six colours for telling names apart", "[emulator]") {
  const Style color(true);
  CHECK(color.tint(0, "a") == "\x1b[36ma\x1b[0m");
  CHECK(color.tint(1, "a") == "\x1b[35ma\x1b[0m");
  CHECK(color.tint(2, "a") == "\x1b[34ma\x1b[0m");
  CHECK(color.tint(3, "a") == "\x1b[96ma\x1b[0m");
  CHECK(color.tint(4, "a") == "\x1b[95ma\x1b[0m");
  CHECK(color.tint(5, "a") == "\x1b[94ma\x1b[0m");
  CHECK(color.tint(6, "a") == color.tint(0, "a"));
}

TEST_CASE("style: display width counts characters and skips escape codes", "[emulator]") {
  CHECK(display_width(Style(true).bold("ab")) == 2);
  CHECK(display_width("größe") == 5);
  CHECK(display_width("⇥ 1 egress") == 10);
}
