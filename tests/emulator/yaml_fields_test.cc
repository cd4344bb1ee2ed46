#include "emulator/config/yaml_fields.h"

#include <catch2/catch.hpp>
#include <string>

namespace statefun::emulator {
namespace {

using Catch::Matchers::StartsWith;

// One parsed document plus the YamlDocument that labels its messages.
struct Fixture {
  explicit Fixture(const std::string& yaml, int number = 0, std::string kind = "")
      : root(YAML::Load(yaml)) {
    document.file = "config.yaml";
    document.number = number;
    document.kind = std::move(kind);
  }
  YamlMap top() const { return YamlMap(root, "", &document); }

  YAML::Node root;
  YamlDocument document;
};

template <typename T>
std::string error_of(const Result<T>& result) {
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == ErrorCode::kInvalidArgument);
  return result.error().message;
}

TEST_CASE("yaml fields: a message names the file, line, column, document and field", "[emulator]") {
  const Fixture multi("spec:\n  port: eighty\n", 2, "io.statefun.playground.v1/ingress");
  auto spec = multi.top().required_map("spec");
  REQUIRE(spec.has_value());
  CHECK(error_of(spec->optional_int("port")) ==
        "config.yaml:2:9: document 2 (io.statefun.playground.v1/ingress): spec.port: expected an "
        "integer, got \"eighty\"");

  // A file that is one document names none.
  const Fixture single("ports:\n  admin: [1]\n");
  auto ports = single.top().required_map("ports");
  REQUIRE(ports.has_value());
  CHECK(error_of(ports->optional_int("admin")) ==
        "config.yaml:2:10: ports.admin: expected an integer, got a list");
}

TEST_CASE("yaml fields: a missing required field points at the mapping that lacks it",
          "[emulator]") {
  const Fixture fixture("spec:\n  other: 1\n", 1);
  auto spec = fixture.top().required_map("spec");
  REQUIRE(spec.has_value());
  CHECK(error_of(spec->required_text("functions")) ==
        "config.yaml:2:3: document 1: spec.functions: missing required field");
  CHECK(error_of(fixture.top().required_map("module")) ==
        "config.yaml:1:1: document 1: module: missing required field");
}

TEST_CASE("yaml fields: each wrong type says what was expected and what was found", "[emulator]") {
  const Fixture fixture(
      "text: {a: 1}\nnumber: 1.5\nflag: maybe\nmap: [1]\nlist: word\nstrict: 42\nbool: true\n");
  const YamlMap top = fixture.top();
  CHECK_THAT(error_of(top.optional_text("text")),
             StartsWith("config.yaml:1:7: text: expected a string, got a mapping"));
  CHECK(error_of(top.optional_int("number")) ==
        "config.yaml:2:9: number: expected an integer, got the number 1.5");
  CHECK(error_of(top.optional_bool("flag")) ==
        "config.yaml:3:7: flag: expected a boolean (true or false), got \"maybe\"");
  CHECK(error_of(top.optional_map("map")) ==
        "config.yaml:4:6: map: expected a mapping, got a list");
  CHECK(error_of(top.optional_list("list")) ==
        "config.yaml:5:7: list: expected a list, got \"word\"");
  CHECK(error_of(top.optional_text("strict", Typing::kStrict)) ==
        "config.yaml:6:9: strict: expected a string, got the number 42");
  CHECK(error_of(top.optional_int("bool", Typing::kStrict)) ==
        "config.yaml:7:7: bool: expected an integer, got the boolean true");
}

TEST_CASE("yaml fields: kCoerce reads scalars as Jackson does, kStrict wants the YAML type",
          "[emulator]") {
  const Fixture fixture("count: \"10\"\nname: 42\nhex: 0x10\n");
  const YamlMap top = fixture.top();
  CHECK(top.optional_int("count").value() == 10);
  CHECK(top.optional_text("name").value() == "42");
  CHECK(top.optional_int("hex").value() == 16);
  CHECK_FALSE(top.optional_int("count", Typing::kStrict).has_value());
}

TEST_CASE("yaml fields: bad values: ranges and fixed words", "[emulator]") {
  const Fixture fixture("port: 70000\nkeep: -1\ntype: yesterday\nmode: EARLIEST\n");
  const YamlMap top = fixture.top();
  CHECK(error_of(top.optional_int("port", Typing::kCoerce, {1, 65535})) ==
        "config.yaml:1:7: port: expected an integer from 1 to 65535, got 70000");
  CHECK(error_of(top.optional_int("keep", Typing::kCoerce,
                                  {0, std::numeric_limits<std::int64_t>::max()})) ==
        "config.yaml:2:7: keep: expected an integer >= 0, got -1");
  CHECK(error_of(top.required_choice("type", {"earliest", "latest"})) ==
        "config.yaml:3:7: type: expected one of earliest, latest, got \"yesterday\"");
  CHECK(top.optional_choice("mode", {"earliest", "latest"}, /*ignore_case=*/true).value() ==
        "earliest");
}

TEST_CASE("yaml fields: a null value is absent in module.yaml and wrong in statefun.yaml",
          "[emulator]") {
  Fixture fixture("data:\nother: 1\n");
  CHECK_FALSE(fixture.top().optional_text("data").value().has_value());
  fixture.document.null_is_absent = false;
  // yaml-cpp marks a null value where the parser stood next; the key is shown.
  CHECK(error_of(fixture.top().optional_text("data")) ==
        "config.yaml:1:1: data: expected a string, got null");
}

TEST_CASE("yaml fields: list elements carry their own path and place", "[emulator]") {
  const Fixture fixture("topics:\n  - a\n  - {b: 1}\n");
  auto items = fixture.top().optional_list("topics");
  REQUIRE(items.has_value());
  REQUIRE((*items)->size() == 2);
  CHECK((**items)[1].path == "topics[1]");
  CHECK(item_text((**items)[0], fixture.document).value() == "a");
  CHECK(error_of(item_text((**items)[1], fixture.document)) ==
        "config.yaml:3:5: topics[1]: expected a string, got a mapping");
  CHECK(error_of(item_map((**items)[0], fixture.document)) ==
        "config.yaml:2:5: topics[0]: expected a mapping, got \"a\"");
}

TEST_CASE("yaml fields: an unknown key suggests an alias, a close spelling or the list",
          "[emulator]") {
  const std::vector<std::string_view> allowed = {"command", "working_dir"};
  const std::map<std::string_view, std::string_view> aliases = {{"cwd", "working_dir"}};
  CHECK(error_of(Fixture("command: x\ncwd: app\n").top().check_keys(allowed, aliases)) ==
        "config.yaml:2:1: cwd: unknown key (did you mean \"working_dir\"?)");
  CHECK(error_of(Fixture("comand: x\n").top().check_keys(allowed, aliases)) ==
        "config.yaml:1:1: comand: unknown key (did you mean \"command\"?)");
  CHECK(error_of(Fixture("zebra: x\n").top().check_keys(allowed, aliases)) ==
        "config.yaml:1:1: zebra: unknown key (expected one of: command, working_dir)");
  CHECK(Fixture("command: x\n").top().check_keys(allowed, aliases).has_value());
}

TEST_CASE("yaml fields: syntax errors name the file, line and column", "[emulator]") {
  CHECK_THAT(error_of(load_yaml_documents("a: [1\n", "module.yaml")),
             StartsWith("module.yaml:2:1: invalid YAML: "));
  CHECK_THAT(error_of(load_yaml_document("a: [1\n", "statefun.yaml")),
             StartsWith("statefun.yaml:2:1: invalid YAML: "));
}

TEST_CASE("yaml fields: describe shows what a value is", "[emulator]") {
  CHECK(describe(YAML::Load("~")) == "null");
  CHECK(describe(YAML::Load("{a: 1}")) == "a mapping");
  CHECK(describe(YAML::Load("[1]")) == "a list");
  CHECK(describe(YAML::Load("42")) == "the number 42");
  CHECK(describe(YAML::Load("\"42\"")) == "\"42\"");
  CHECK(describe(YAML::Load("false")) == "the boolean false");
  CHECK(describe(YAML::Load("\"say \\\"hi\\\"\"")) == "\"say \\\"hi\\\"\"");
}

}  // namespace
}  // namespace statefun::emulator
