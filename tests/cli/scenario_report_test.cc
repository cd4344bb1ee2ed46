// What `statefun test` reports: the JSON differences of a failed
// expectation, and the JUnit XML for CI.
#include <catch2/catch.hpp>

#include "cli/json_diff.h"
#include "cli/junit.h"

namespace statefun::cli {
namespace {

using Catch::Matchers::Contains;

TEST_CASE("json_diff names each differing path", "[cli]") {
  const Json expected = Json::parse(R"({"a": 1, "b": {"c": [1, 2]}, "d": "x"})");
  const Json actual = Json::parse(R"({"a": 1.0, "b": {"c": [1, 3, 4]}, "e": true})");
  const auto lines = json_diff(expected, actual);
  CHECK(lines ==
        std::vector<std::string>{".b.c[1]: expected 2, got 3", ".b.c[2]: not expected, got 4",
                                 ".d: missing (expected \"x\")", ".e: not expected, got true"});
  CHECK(json_equal(Json::parse("[1, {\"x\": 2}]"), Json::parse("[1.0, {\"x\": 2}]")));
  CHECK_FALSE(json_equal(Json("1"), Json(1)));
  CHECK(json_diff(Json(1), Json("1")) ==
        std::vector<std::string>{"(the value): expected 1, got \"1\""});
  Json many = Json::array(), other = Json::array();
  for (int i = 0; i < 30; ++i) {
    many.push_back(i);
    other.push_back(-i - 1);
  }
  const auto cut = json_diff(many, other, 5);
  REQUIRE(cut.size() == 5);
  CHECK(cut.back() == "... and 26 more difference(s)");
}

TEST_CASE("junit XML: one testcase per scenario, failures escaped", "[cli]") {
  const std::string xml =
      junit_xml({{"scenarios/a.yaml", "passes", 0.25, true, "", ""},
                 {"scenarios/a.yaml", "fails <badly>", 1.5, false,
                  "step 2 (expect egress, line 7): record 3 differs", "expected: \"a&b\"\n\x01"}},
                1.75);
  CHECK_THAT(xml, Contains("tests=\"2\" failures=\"1\""));
  CHECK_THAT(xml, Contains("<testcase classname=\"scenarios/a.yaml\" name=\"passes\" "
                           "time=\"0.250\"/>"));
  CHECK_THAT(xml, Contains("name=\"fails &lt;badly&gt;\""));
  CHECK_THAT(xml,
             Contains("<failure message=\"step 2 (expect egress, line 7): record 3 differs\""));
  CHECK_THAT(xml, Contains("expected: &quot;a&amp;b&quot;\n?</failure>"));
}

}  // namespace
}  // namespace statefun::cli
