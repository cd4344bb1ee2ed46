// The inputs on which yaml-cpp 0.7 never returns are refused before parsing
// (found by tests/fuzz/module_yaml_fuzz.cc); valid YAML is not.
#include "emulator/config/yaml_guard.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "emulator/config/dev_config.h"
#include "emulator/config/module_config.h"

using namespace statefun::emulator;

TEST_CASE("a ',' that yaml-cpp 0.7 would loop on is found, with its line and column",
          "[emulator]") {
  struct Case {
    const char* text;
    int line, column;
  };
  for (const Case& c :
       {Case{",", 1, 1}, Case{"  , a", 1, 3}, Case{"# c\n,", 2, 1}, Case{"--- ,", 1, 5},
        Case{"--- [a],", 1, 8}, Case{"[a]\n,", 2, 1}, Case{"[a] # c\n,", 2, 1},
        Case{"\"x\"\n\n,", 3, 1}, Case{"'x',", 1, 4}, Case{"a: 1\n---\n,", 3, 1},
        Case{"%YAML 1.2\n---\n,", 3, 1}, Case{"[a]\n...\n,", 3, 1}, Case{"&a ,", 1, 4},
        Case{"!t ,", 1, 4}, Case{"&a [b],", 1, 7},
        // A tag or anchor ends where a ',' starts (the fuzz
        // target found `!,!`); yaml-cpp hangs on each.
        Case{"!,!", 1, 2}, Case{"&a,", 1, 3}, Case{"!!str,", 1, 6}, Case{"!t[a],", 1, 6},
        Case{"!t{a: 1},", 1, 9}, Case{"!t'x',", 1, 6}, Case{"!t\"x\",", 1, 6}, Case{"&a&b,", 1, 5},
        Case{"!<a,b>,", 1, 7}, Case{"!N4YA'ML15Paxc,", 1, 15}, Case{"!t'x,", 1, 5},
        Case{"&a'x,", 1, 5}, Case{"a: 1\n   !,!", 2, 5}, Case{"- !t,", 1, 5},
        // ... or after blanks (the fuzz target found ` !  ,!`).
        Case{"a: 1\n !  ,!", 2, 5}, Case{"- !t ,", 1, 6}, Case{"k: &a\t,", 1, 7},
        Case{"k: &a, x", 1, 6}, Case{"a:\n  b: !<x,y>,", 2, 12}, Case{"!t\n,", 2, 1},
        Case{"\xEF\xBB\xBF,", 1, 4}, Case{"[\"],\", ']']\n,", 2, 1}, Case{"- a\n# c\n,", 3, 1},
        Case{"x # c\n,", 2, 1}, Case{"a b\n#\n, c", 3, 1}, Case{"x\n  # c\n  ,", 3, 3},
        Case{"x\n,", 2, 1}, Case{"? a\n,", 2, 1}, Case{"a:\n  - |\n    ,x\n  - y\n,", 5, 1}}) {
    INFO(c.text);
    auto hazard = find_yaml_cpp_hang(c.text);
    REQUIRE(hazard);
    CHECK(hazard->line == c.line);
    CHECK(hazard->column == c.column);
  }
}

TEST_CASE("valid YAML and block content with commas pass the guard", "[emulator]") {
  for (const char* text :
       {"", "a: x, y", "a: [1, 2]\nb: {c: 1, d: 2}", "- a\n- ,b", "\"x\": 1", "[a, b]",
        "a: |\n  ,x\n", "a: 1\n---\nb: 2", "[a, [b, c]]  # ,\n", "a: [1,\n  2\n  , 3]",
        "a: \"x\n, y\"", "- >-\n  ,a\n\n  ,b\n- c", "it's: a, b", "!t x", "!!str a,b", "!<a,b> x",
        "&a [b, c]", "!t 'x'", "&a\nk: v, w"}) {
    INFO(text);
    CHECK_FALSE(find_yaml_cpp_hang(text));
  }
  // Cut off inside a quoted scalar, an escape last (the statefun_yaml fuzz
  // target found the scanner reading past the end there).
  for (const char* text : {"\"\\", "[\"\\", "\"", "'", "[a, \"b"}) {
    INFO(text);
    CHECK_FALSE(find_yaml_cpp_hang(text));
  }
  for (const char* sample : {"samples/greeter/module.yaml", "samples/shopping-cart/module.yaml",
                             "samples/greeter/statefun.yaml"}) {
    std::ifstream file(std::string(STATEFUN_SOURCE_DIR) + "/" + sample);
    std::stringstream text;
    text << file.rdbuf();
    INFO(sample);
    CHECK_FALSE(text.str().empty());
    CHECK_FALSE(find_yaml_cpp_hang(text.str()));
  }
}

TEST_CASE("both loaders refuse such a file with one line instead of hanging", "[emulator]") {
  auto module = parse_module_yaml("kind: x\n---\n,\n", "module.yaml");
  REQUIRE_FALSE(module);
  CHECK(module.error().message == "module.yaml:3:1: invalid YAML: ',' where a value should start");
  auto dev = parse_dev_config("  ,", "statefun.yaml", "/p");
  REQUIRE_FALSE(dev);
  CHECK(dev.error().message == "statefun.yaml:1:3: invalid YAML: ',' where a value should start");
  // Control characters YAML does not allow: yaml-cpp loops on "\0\0\0,".
  auto nul = parse_module_yaml(std::string_view("kind: x\n\0\0\0,", 12), "module.yaml");
  REQUIRE_FALSE(nul);
  CHECK(nul.error().message ==
        "module.yaml:2:1: invalid YAML: control character U+0000 (only tab, line feed and "
        "carriage return are allowed)");
  auto bell = parse_dev_config("a: \"ü\a\"", "statefun.yaml", "/p");
  REQUIRE_FALSE(bell);
  CHECK(bell.error().message ==
        "statefun.yaml:1:6: invalid YAML: control character U+0007 (only tab, line feed and "
        "carriage return are allowed)");
  // Tab, CR and LF are allowed.
  auto tabs = parse_dev_config("hosts:\r\n  functions: \"local\thost\"\n", "statefun.yaml", "/p");
  CHECK((tabs || tabs.error().message.find("control character") == std::string::npos));
}
