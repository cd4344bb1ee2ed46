#include "runtime/core/spelling.h"

#include <catch2/catch.hpp>

namespace statefun {
namespace {

const std::vector<std::string> kCommands = {"init",   "dev",   "send",   "state", "rewind",
                                            "replay", "trace", "timers", "wait",  "status"};

TEST_CASE("edit distance counts inserts, deletes, substitutions and swaps", "[runtime]") {
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("send", "send") == 0);
  CHECK(edit_distance("sned", "send") == 1);  // a swap is one edit
  CHECK(edit_distance("sen", "send") == 1);
  CHECK(edit_distance("sendd", "send") == 1);
  CHECK(edit_distance("sand", "send") == 1);
  CHECK(edit_distance("SEND", "send") == 0);
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("", "abc") == 3);
}

TEST_CASE("closest match suggests likely typos only", "[runtime]") {
  CHECK(closest_match("sned", kCommands) == "send");
  CHECK(closest_match("stauts", kCommands) == "status");
  CHECK(closest_match("replya", kCommands) == "replay");
  CHECK(closest_match("trcae", kCommands) == "trace");
  CHECK(closest_match("--tpye", {"--type", "--json", "--wait"}) == "--type");
  // Too far from everything: no suggestion rather than a silly one.
  CHECK_FALSE(closest_match("zebra", kCommands).has_value());
  CHECK_FALSE(closest_match("", kCommands).has_value());
  CHECK_FALSE(closest_match("x", {"y"}).has_value());
  // A unique prefix is a match; an ambiguous one is not.
  CHECK(closest_match("rewi", kCommands) == "rewind");
  CHECK_FALSE(closest_match("re", {"rewind", "replay"}).has_value());
}

}  // namespace
}  // namespace statefun
