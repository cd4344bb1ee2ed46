// Egress components: the playground's HTTP egress (topics statefun dev keeps
// for reading), and Kafka and Kinesis egresses, validated as the runtime
// would; their records are kept and read as topics (emulator/topics/).
#include <limits>

#include "emulator/config/module_config_internal.h"

namespace statefun::emulator::module_yaml {
namespace {

constexpr std::string_view kPlaygroundEgressId = "io.statefun.playground/egress";

Status read_delivery_semantic(const YamlMap& spec, KafkaSettings& kafka) {
  auto found_semantic = spec.optional_map("deliverySemantic");
  if (!found_semantic) return std::unexpected(found_semantic.error());
  if (!*found_semantic) return {};
  const YamlMap& semantic = **found_semantic;
  auto type = semantic.required_choice("type", {"at-least-once", "exactly-once", "none"});
  if (!type) return std::unexpected(type.error());
  if (*type == "none") kafka.delivery = KafkaSettings::Delivery::kNone;
  if (*type != "exactly-once") return {};
  kafka.delivery = KafkaSettings::Delivery::kExactlyOnce;
  auto millis = semantic.optional_int("transactionTimeoutMillis", Typing::kCoerce,
                                      {0, std::numeric_limits<std::int64_t>::max()});
  if (!millis) return std::unexpected(millis.error());
  auto timeout = optional_duration(semantic, "transactionTimeout");
  if (!timeout) return std::unexpected(timeout.error());
  if (!*millis && !*timeout) {
    return semantic.fail("transactionTimeout",
                         "missing: exactly-once needs transactionTimeout (a duration) or "
                         "transactionTimeoutMillis");
  }
  kafka.transaction_timeout = *timeout ? **timeout : std::chrono::milliseconds(**millis);
  return {};
}

}  // namespace

Status add_playground_egress(const ComponentFields& component, ModuleBuild& build) {
  const YamlMap& spec = component.spec;
  if (auto bound = bind_playground_id(build.egress_ids, kPlaygroundEgressId, "egress", spec);
      !bound) {
    return bound;
  }
  auto port = read_playground_port(spec, build);
  if (!port) return std::unexpected(port.error());
  PlaygroundEgressSpec egress{spec.document().number, *port, {}};
  auto topics = spec.optional_list("topics");
  if (!topics) return std::unexpected(topics.error());
  if (!*topics) return spec.fail("topics", "missing required field (a list of topic names)");
  for (const YamlItem& item : **topics) {
    if (!item.node.IsScalar()) {
      return fail_at(item, spec.document(), "expected a topic name, got " + describe(item.node));
    }
    egress.topics.push_back(item.node.Scalar());
  }
  build.config.playground_egress = std::move(egress);
  return {};
}

Status add_kafka_egress(const ComponentFields& component, ModuleBuild& build) {
  const YamlMap& spec = component.spec;
  auto io = read_external_id(component, build.egress_ids, "egress");
  if (!io) return std::unexpected(io.error());
  auto properties = read_properties(spec, "properties");
  if (!properties) return std::unexpected(properties.error());
  if (auto status = require_field_or_property(spec, "address", *properties, "bootstrap.servers",
                                              "properties");
      !status) {
    return status;
  }
  KafkaSettings kafka;
  kafka.properties.assign(properties->begin(), properties->end());
  if (auto address = spec.optional_text("address"); address && *address) kafka.address = **address;
  if (auto status = read_delivery_semantic(spec, kafka); !status) return status;
  io->kafka = std::move(kafka);

  build.config.kafka_egresses.push_back(std::move(*io));
  return {};
}

Status add_kinesis_egress(const ComponentFields& component, ModuleBuild& build) {
  const YamlMap& spec = component.spec;
  auto io = read_external_id(component, build.egress_ids, "egress");
  if (!io) return std::unexpected(io.error());
  if (auto status = check_kinesis_common(spec); !status) return status;
  auto outstanding = spec.optional_int("maxOutstandingRecords");
  if (!outstanding) return std::unexpected(outstanding.error());

  build.config.kinesis_egresses.push_back(std::move(*io));
  return {};
}

}  // namespace statefun::emulator::module_yaml
