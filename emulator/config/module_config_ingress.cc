// Ingress components: the playground's HTTP ingress, which statefun dev
// serves, and Kafka and Kinesis ingresses, validated as the runtime would;
// statefun dev emulates their topics (emulator/topics/).
#include <cctype>
#include <cstdio>
#include <ctime>
#include <regex>

#include "emulator/config/module_config_internal.h"

namespace statefun::emulator::module_yaml {
namespace {

constexpr std::string_view kPlaygroundIngressId = "io.statefun.playground/ingress";

// ---------------------------------------------------------------------------
// Routes: Kafka topics and Kinesis streams
// ---------------------------------------------------------------------------

Result<std::vector<std::string>> read_targets(const YamlMap& route) {
  auto items = route.optional_list("targets");
  if (!items) return std::unexpected(items.error());
  if (!*items) return route.fail("targets", "missing required field");
  std::vector<std::string> targets;
  for (const YamlItem& item : **items) {
    if (!item.node.IsScalar() || !split_runtime_typename(item.node.Scalar())) {
      return fail_at(item, route.document(),
                     "expected a function type " + std::string(kTypenameShape) + ", got " +
                         describe(item.node));
    }
    targets.push_back(item.node.Scalar());
  }
  return targets;
}

// Kafka topics and Kinesis streams share one shape: source, valueType, targets.
Result<std::vector<ExternalIoSpec::Route>> read_routes(const YamlMap& spec, std::string_view key,
                                                       std::string_view source_key) {
  auto items = spec.required_non_empty_list(key);
  if (!items) return std::unexpected(items.error());
  std::vector<ExternalIoSpec::Route> routes;
  for (const YamlItem& item : *items) {
    auto route = item_map(item, spec.document());
    if (!route) return std::unexpected(route.error());
    auto source = route->required_text(source_key);
    if (!source) return std::unexpected(source.error());
    auto value_type = route->required_text("valueType");
    if (!value_type) return std::unexpected(value_type.error());
    auto targets = read_targets(*route);
    if (!targets) return std::unexpected(targets.error());
    routes.push_back({std::move(*source), std::move(*value_type), std::move(*targets)});
  }
  return routes;
}

// ---------------------------------------------------------------------------
// Startup positions
// ---------------------------------------------------------------------------

// Milliseconds since the epoch of "yyyy-MM-dd HH:mm:ss.SSS Z" (checked).
std::int64_t date_ms(const std::string& date) {
  std::tm tm{};
  int ms = 0, zone = 0;
  char sign = '+';
  std::sscanf(date.c_str(), "%d-%d-%d %d:%d:%d.%d %c%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
              &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &sign, &zone);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const std::int64_t zone_s = (zone / 100 * 3600 + zone % 100 * 60) * (sign == '-' ? -1 : 1);
  return (static_cast<std::int64_t>(timegm(&tm)) - zone_s) * 1000 + ms;
}

Result<std::int64_t> read_date(const YamlMap& map, std::string_view key) {
  auto date = map.required_text(key);
  if (!date) return std::unexpected(date.error());
  static const std::regex pattern(R"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} [+-]\d{4})");
  if (!std::regex_match(*date, pattern)) {
    return map.fail(key,
                    "expected a date in the form yyyy-MM-dd HH:mm:ss.SSS Z, e.g. "
                    "\"2020-02-01 04:15:00.000 +0000\", got " +
                        in_quotes(*date));
  }
  return date_ms(*date);
}

Status check_date(const YamlMap& map, std::string_view key) {
  auto date = read_date(map, key);
  if (!date) return std::unexpected(date.error());
  return {};
}

// Kafka's `- <topic>/<partition>: <offset>` entries.
bool is_offset_entry(const YAML::Node& node) {
  if (!node.IsMap() || node.size() != 1 || !node.begin()->second.IsScalar()) return false;
  const std::string& key = node.begin()->first.Scalar();
  const std::size_t slash = key.rfind('/');
  return slash != std::string::npos && slash > 0 &&
         parse_integer_text(std::string_view(key).substr(slash + 1)).has_value() &&
         parse_integer_text(node.begin()->second.Scalar()).has_value();
}

Status read_specific_offsets(const YamlMap& position, KafkaSettings& kafka) {
  auto items = position.required_non_empty_list("offsets");
  if (!items) return std::unexpected(items.error());
  for (const YamlItem& item : *items) {
    if (!is_offset_entry(item.node)) {
      return fail_at(item, position.document(),
                     "expected \"- <topic>/<partition>: <offset>\", got " + describe(item.node));
    }
    const std::string& key = item.node.begin()->first.Scalar();
    const std::size_t slash = key.rfind('/');
    kafka.specific_offsets.push_back(
        {key.substr(0, slash),
         static_cast<std::int32_t>(*parse_integer_text(std::string_view(key).substr(slash + 1))),
         *parse_integer_text(item.node.begin()->second.Scalar())});
  }
  return {};
}

Status read_kafka_startup_position(const YamlMap& spec, KafkaSettings& kafka) {
  auto found_position = spec.optional_map("startupPosition");
  if (!found_position) return std::unexpected(found_position.error());
  if (!*found_position) return {};
  const YamlMap& position = **found_position;
  auto type = position.required_choice(
      "type", {"group-offsets", "earliest", "latest", "specific-offsets", "date"});
  if (!type) return std::unexpected(type.error());
  using Start = KafkaSettings::Start;
  if (*type == "earliest") kafka.start = Start::kEarliest;
  if (*type == "latest") kafka.start = Start::kLatest;
  if (*type == "specific-offsets") {
    kafka.start = Start::kSpecificOffsets;
    return read_specific_offsets(position, kafka);
  }
  if (*type == "date") {
    kafka.start = Start::kDate;
    auto date = read_date(position, "date");
    if (!date) return std::unexpected(date.error());
    kafka.start_date_ms = *date;
  }
  return {};
}

Status check_kinesis_startup_position(const YamlMap& spec) {
  auto found_position = spec.optional_map("startupPosition");
  if (!found_position) return std::unexpected(found_position.error());
  if (!*found_position) return {};
  const YamlMap& position = **found_position;
  auto type = position.required_choice("type", {"earliest", "latest", "date"});
  if (!type) return std::unexpected(type.error());
  if (*type == "date") return check_date(position, "date");
  return {};
}

}  // namespace

// ---------------------------------------------------------------------------
// The kinds
// ---------------------------------------------------------------------------

Status add_playground_ingress(const ComponentFields& component, ModuleBuild& build) {
  const YamlMap& spec = component.spec;
  if (auto bound = bind_playground_id(build.ingress_ids, kPlaygroundIngressId, "ingress", spec);
      !bound) {
    return bound;
  }
  auto port = read_playground_port(spec, build);
  if (!port) return std::unexpected(port.error());
  build.config.playground_ingress = PlaygroundIngressSpec{spec.document().number, *port};
  return {};
}

Status add_kafka_ingress(const ComponentFields& component, ModuleBuild& build) {
  const YamlMap& spec = component.spec;
  auto io = read_external_id(component, build.ingress_ids, "ingress");
  if (!io) return std::unexpected(io.error());
  auto properties = read_properties(spec, "properties");
  if (!properties) return std::unexpected(properties.error());
  if (auto status = require_field_or_property(spec, "address", *properties, "bootstrap.servers",
                                              "properties");
      !status) {
    return status;
  }
  if (auto status =
          require_field_or_property(spec, "consumerGroupId", *properties, "group.id", "properties");
      !status) {
    return status;
  }
  auto routes = read_routes(spec, "topics", "topic");
  if (!routes) return std::unexpected(routes.error());
  io->routes = std::move(*routes);
  auto reset = spec.optional_choice("autoOffsetResetPosition", {"earliest", "latest"},
                                    /*ignore_case=*/true);
  if (!reset) return std::unexpected(reset.error());
  KafkaSettings kafka;
  kafka.properties.assign(properties->begin(), properties->end());
  if (auto address = spec.optional_text("address"); address && *address) kafka.address = **address;
  if (auto group = spec.optional_text("consumerGroupId"); group && *group) {
    kafka.consumer_group_id = **group;
  }
  if (*reset) {
    kafka.auto_offset_reset = **reset;
    for (char& c : kafka.auto_offset_reset) c = static_cast<char>(std::tolower(c));
  }
  if (auto status = read_kafka_startup_position(spec, kafka); !status) return status;
  io->kafka = std::move(kafka);

  build.config.kafka_ingresses.push_back(std::move(*io));
  return {};
}

Status add_kinesis_ingress(const ComponentFields& component, ModuleBuild& build) {
  const YamlMap& spec = component.spec;
  auto io = read_external_id(component, build.ingress_ids, "ingress");
  if (!io) return std::unexpected(io.error());
  if (auto status = check_kinesis_common(spec); !status) return status;
  if (auto status = check_kinesis_startup_position(spec); !status) return status;
  auto routes = read_routes(spec, "streams", "stream");
  if (!routes) return std::unexpected(routes.error());
  io->routes = std::move(*routes);

  build.config.kinesis_ingresses.push_back(std::move(*io));
  return {};
}

}  // namespace statefun::emulator::module_yaml
