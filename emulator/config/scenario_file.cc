#include "emulator/config/scenario_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "emulator/config/yaml_fields.h"
#include "runtime/core/time_text.h"

namespace statefun::emulator {
namespace {

using Json = nlohmann::json;
using Kind = ScenarioStep::Kind;

struct StepKind {
  std::string_view word;
  Kind kind;
};
constexpr StepKind kStepKinds[] = {
    {"send", Kind::kSend},
    {"produce", Kind::kProduce},
    {"advance", Kind::kAdvance},
    {"wait", Kind::kWait},
    {"expect egress", Kind::kExpectEgress},
    {"expect state", Kind::kExpectState},
    {"expect no message", Kind::kExpectNoMessage},
    {"expect dead-letter", Kind::kExpectDeadLetter},
};

// YAML as the JSON it means under the core schema.
Result<Json> to_json(const YAML::Node& node, const YamlDocument& doc, const std::string& path) {
  if (!node || node.IsNull()) return Json(nullptr);
  if (node.IsSequence()) {
    Json list = Json::array();
    for (std::size_t i = 0; i < node.size(); ++i) {
      auto item = to_json(node[i], doc, fmt::format("{}[{}]", path, i));
      if (!item) return item;
      list.push_back(std::move(*item));
    }
    return list;
  }
  if (node.IsMap()) {
    Json object = Json::object();
    for (const auto& entry : node) {
      if (!entry.first.IsScalar())
        return doc.fail(path, "a key must be text", mark_of(entry.first));
      const std::string key = entry.first.Scalar();
      auto value = to_json(entry.second, doc, path + "." + key);
      if (!value) return value;
      object[key] = std::move(*value);
    }
    return object;
  }
  const std::string& text = node.Scalar();
  switch (scalar_type(node)) {
    case ScalarType::kNull:
      return Json(nullptr);
    case ScalarType::kBool:
      return Json(lowercase_ascii(text) == "true" || lowercase_ascii(text) == "yes" ||
                  lowercase_ascii(text) == "on");
    case ScalarType::kInteger:
      if (auto n = parse_integer_text(text)) return Json(*n);
      return doc.fail(path, "integer out of range: " + in_quotes(text), mark_of(node));
    case ScalarType::kFloat:
      try {
        return Json(std::stod(text));
      } catch (...) {
        return Json(text);  // .inf, .nan: kept as written
      }
    case ScalarType::kString:
      break;
  }
  return Json(text);
}

Result<int64_t> duration_of(const YamlMap& map, std::string_view key, const std::string& text) {
  auto parsed = parse_duration(text, kUnitRequired);
  if (!parsed) return map.fail(key, parsed.error().message);
  return parsed->count();
}

Result<std::optional<int64_t>> optional_duration(const YamlMap& map, std::string_view key) {
  auto text = map.optional_text(key);
  if (!text) return std::unexpected(text.error());
  if (!*text) return std::optional<int64_t>();
  auto ms = duration_of(map, key, **text);
  if (!ms) return std::unexpected(ms.error());
  return std::optional<int64_t>(*ms);
}

// A step's body that may be written as a scalar (`advance: 30d`), as
// nothing (`wait:`) or as a mapping.
class StepParser {
 public:
  StepParser(const YamlDocument& doc, ScenarioStep& step, const YamlItem& body)
      : m_doc(doc), m_step(step), m_body(body) {}

  Result<void> parse() {
    switch (m_step.kind) {
      case Kind::kSend:
        return send();
      case Kind::kProduce:
        return produce();
      case Kind::kAdvance:
        return advance();
      case Kind::kWait:
        return wait();
      case Kind::kExpectEgress:
        return expect_egress();
      case Kind::kExpectState:
        return expect_state();
      case Kind::kExpectNoMessage:
        return expect_no_message();
      case Kind::kExpectDeadLetter:
        return expect_dead_letter();
    }
    return {};
  }

 private:
  Result<YamlMap> body_map() {
    if (!m_body.node || m_body.node.IsNull()) {
      return YamlMap(YAML::Node(YAML::NodeType::Map), m_body.path, &m_doc);
    }
    return item_map(m_body, m_doc);
  }
  Result<void> value_of(const YamlMap& map, bool required) {
    auto node = map.get("value");
    if (!node) {
      if (required) return map.fail_here(map.missing_field("value"));
      return {};
    }
    auto value = to_json(*node, m_doc, map.field("value"));
    if (!value) return std::unexpected(value.error());
    m_step.value = std::move(*value);
    return {};
  }
  Result<void> timeout_of(const YamlMap& map) {
    auto timeout = optional_duration(map, "timeout");
    if (!timeout) return std::unexpected(timeout.error());
    m_step.timeout_ms = *timeout;
    return {};
  }
  Result<void> address_of(const YamlMap& map, std::string_view key, bool required) {
    auto text = map.optional_text(key);
    if (!text) return std::unexpected(text.error());
    if (!*text) {
      if (required) return map.fail_here(map.missing_field(key));
      return {};
    }
    if (std::count(text->value().begin(), text->value().end(), '/') != 2) {
      return map.fail(key, in_quotes(**text) + " is not namespace/type/id");
    }
    m_step.address = **text;
    return {};
  }

  Result<void> send() {
    auto map = body_map();
    if (!map) return std::unexpected(map.error());
    if (auto r = map->check_keys({"to", "type", "value"}, {{"address", "to"}}); !r) return r;
    if (auto r = address_of(*map, "to", true); !r) return r;
    auto type = map->optional_text("type");
    if (!type) return std::unexpected(type.error());
    m_step.type_name = type->value_or("");
    return value_of(*map, true);
  }

  Result<void> produce() {
    auto map = body_map();
    if (!map) return std::unexpected(map.error());
    if (auto r = map->check_keys({"topic", "key", "value"}); !r) return r;
    auto topic = map->required_text("topic");
    if (!topic) return std::unexpected(topic.error());
    m_step.topic = *topic;
    auto key = map->optional_text("key");
    if (!key) return std::unexpected(key.error());
    m_step.key = *key;
    return value_of(*map, true);
  }

  Result<void> advance() {
    if (m_body.node && m_body.node.IsScalar()) {
      auto parsed = parse_duration(m_body.node.Scalar(), kUnitRequired);
      if (!parsed) return fail_at(m_body, m_doc, parsed.error().message);
      m_step.advance_ms = parsed->count();
      return {};
    }
    auto map = body_map();
    if (!map) return std::unexpected(map.error());
    if (auto r = map->check_keys({"by", "to", "until_idle", "horizon"}); !r) return r;
    auto by = optional_duration(*map, "by");
    if (!by) return std::unexpected(by.error());
    m_step.advance_ms = *by;
    auto to = map->optional_text("to");
    if (!to) return std::unexpected(to.error());
    m_step.advance_to = *to;
    auto idle = map->optional_bool("until_idle");
    if (!idle) return std::unexpected(idle.error());
    m_step.until_idle = idle->value_or(false);
    auto horizon = optional_duration(*map, "horizon");
    if (!horizon) return std::unexpected(horizon.error());
    m_step.horizon_ms = *horizon;
    const int given =
        (m_step.advance_ms ? 1 : 0) + (m_step.advance_to ? 1 : 0) + (m_step.until_idle ? 1 : 0);
    if (given != 1) {
      return map->fail_here("give exactly one of by: DURATION, to: TIME or until_idle: true");
    }
    if (m_step.horizon_ms && !m_step.until_idle) {
      return map->fail("horizon", "goes with until_idle: true");
    }
    return {};
  }

  Result<void> wait() {
    if (m_body.node && m_body.node.IsScalar() && !m_body.node.IsNull()) {
      auto parsed = parse_duration(m_body.node.Scalar(), kUnitRequired);
      if (!parsed) return fail_at(m_body, m_doc, parsed.error().message);
      m_step.timeout_ms = parsed->count();
      return {};
    }
    auto map = body_map();
    if (!map) return std::unexpected(map.error());
    if (auto r = map->check_keys({"timeout"}); !r) return r;
    return timeout_of(*map);
  }

  Result<void> expect_egress() {
    auto map = body_map();
    if (!map) return std::unexpected(map.error());
    if (auto r = map->check_keys({"topic", "value", "timeout"}); !r) return r;
    auto topic = map->required_text("topic");
    if (!topic) return std::unexpected(topic.error());
    m_step.topic = *topic;
    if (auto r = timeout_of(*map); !r) return r;
    return value_of(*map, true);
  }

  Result<void> expect_state() {
    auto map = body_map();
    if (!map) return std::unexpected(map.error());
    if (auto r = map->check_keys({"address", "name", "value", "absent", "timeout"}); !r) return r;
    if (auto r = address_of(*map, "address", true); !r) return r;
    auto name = map->required_text("name");
    if (!name) return std::unexpected(name.error());
    m_step.name = *name;
    auto absent = map->optional_bool("absent");
    if (!absent) return std::unexpected(absent.error());
    m_step.absent = absent->value_or(false);
    if (auto r = timeout_of(*map); !r) return r;
    if (auto r = value_of(*map, false); !r) return r;
    if (m_step.absent == m_step.value.has_value()) {
      return map->fail_here("give either value: ... or absent: true");
    }
    return {};
  }

  Result<void> expect_no_message() {
    auto map = body_map();
    if (!map) return std::unexpected(map.error());
    if (auto r = map->check_keys({"topic", "timeout"}); !r) return r;
    auto topic = map->optional_text("topic");
    if (!topic) return std::unexpected(topic.error());
    m_step.topic = topic->value_or("");
    return timeout_of(*map);
  }

  Result<void> expect_dead_letter() {
    auto map = body_map();
    if (!map) return std::unexpected(map.error());
    if (auto r = map->check_keys({"address", "type", "timeout"}); !r) return r;
    if (auto r = address_of(*map, "address", false); !r) return r;
    auto type = map->optional_text("type");
    if (!type) return std::unexpected(type.error());
    m_step.type_name = type->value_or("");
    return timeout_of(*map);
  }

  const YamlDocument& m_doc;
  ScenarioStep& m_step;
  const YamlItem& m_body;
};

Result<ScenarioStep> parse_step(const YamlItem& item, const YamlDocument& doc) {
  auto map = item_map(item, doc);
  if (!map) return std::unexpected(map.error());
  auto entries = map->entries();
  if (!entries) return std::unexpected(entries.error());
  if (entries->size() != 1) {
    return fail_at(
        item, doc,
        fmt::format("a step is one key (send, produce, advance, wait, expect egress, expect "
                    "state, expect no message, expect dead-letter), got {}",
                    entries->size()));
  }
  const auto& [word, body] = entries->front();
  ScenarioStep step;
  step.line = mark_of(item.node).line + 1;
  const std::string normal = lowercase_ascii(word);
  bool known = false;
  for (const auto& kind : kStepKinds) {
    if (normal == kind.word) {
      step.kind = kind.kind;
      step.label = std::string(kind.word);
      known = true;
    }
  }
  if (!known) {
    std::vector<std::string_view> words;
    for (const auto& kind : kStepKinds) words.push_back(kind.word);
    if (auto r = map->check_keys(words, {{"expect dead letter", "expect dead-letter"},
                                         {"expect no egress", "expect no message"}});
        !r) {
      return std::unexpected(r.error());
    }
    return fail_at(item, doc, "unknown step " + in_quotes(word));
  }
  if (auto r = StepParser(doc, step, body).parse(); !r) return std::unexpected(r.error());
  return step;
}

Result<Scenario> parse_scenario(const YamlMap& map, const YamlDocument& doc, std::string fallback) {
  if (auto r = map.check_keys({"name", "clock", "retry", "steps"}); !r) {
    return std::unexpected(r.error());
  }
  Scenario scenario;
  scenario.file = doc.file;
  scenario.line = mark_of(map.node()).line + 1;
  auto name = map.optional_text("name");
  if (!name) return std::unexpected(name.error());
  scenario.name = name->value_or(std::move(fallback));
  auto clock = map.optional_text("clock");
  if (!clock) return std::unexpected(clock.error());
  if (*clock) {
    if (auto at = parse_time_point(**clock, 0); !at) return map.fail("clock", at.error().message);
    scenario.clock_start = *clock;
  }
  auto retry = map.optional_map("retry");
  if (!retry) return std::unexpected(retry.error());
  if (*retry) {
    if (auto r = (*retry)->check_keys({"max_attempts"}); !r) return std::unexpected(r.error());
    auto attempts = (*retry)->optional_int("max_attempts", Typing::kCoerce, {1, 1'000'000});
    if (!attempts) return std::unexpected(attempts.error());
    scenario.retry_max_attempts = *attempts;
  }
  auto steps = map.required_non_empty_list("steps");
  if (!steps) return std::unexpected(steps.error());
  for (const auto& item : *steps) {
    auto step = parse_step(item, doc);
    if (!step) return std::unexpected(step.error());
    scenario.steps.push_back(std::move(*step));
  }
  return scenario;
}

}  // namespace

Result<std::vector<Scenario>> parse_scenario_file(std::string_view text, const std::string& path) {
  auto root = load_yaml_document(text, path);
  if (!root) return std::unexpected(root.error());
  YamlDocument doc{path, 0, "", YAML::Mark::null_mark(), false};
  const std::string stem = std::filesystem::path(path).stem().string();
  try {
    if (!root->IsMap()) {
      return doc.fail("", "expected a mapping with steps (or scenarios), got " + describe(*root),
                      mark_of(*root));
    }
    YamlMap map(*root, "", &doc);
    std::vector<Scenario> scenarios;
    if (!map.has("scenarios")) {
      auto one = parse_scenario(map, doc, stem);
      if (!one) return std::unexpected(one.error());
      scenarios.push_back(std::move(*one));
      return scenarios;
    }
    if (auto r = map.check_keys({"scenarios"}); !r) return std::unexpected(r.error());
    auto list = map.required_non_empty_list("scenarios");
    if (!list) return std::unexpected(list.error());
    for (std::size_t i = 0; i < list->size(); ++i) {
      auto item = item_map((*list)[i], doc);
      if (!item) return std::unexpected(item.error());
      auto one = parse_scenario(*item, doc, fmt::format("{} #{}", stem, i + 1));
      if (!one) return std::unexpected(one.error());
      scenarios.push_back(std::move(*one));
    }
    return scenarios;
  } catch (const YAML::Exception& e) {
    return std::unexpected(yaml_exception_error(path, e));
  }
}

Result<std::vector<Scenario>> load_scenario_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kNotFound, fmt::format("{}: cannot read the file", path));
  std::stringstream text;
  text << in.rdbuf();
  return parse_scenario_file(text.str(), path);
}

}  // namespace statefun::emulator
