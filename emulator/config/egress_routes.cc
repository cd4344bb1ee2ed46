#include "emulator/config/egress_routes.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "egress.pb.h"
#include "runtime/protocol/well_known_types.h"

namespace statefun::emulator {
namespace {

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

EgressRoutes::EgressRoutes(const ModuleConfig& config) {
  if (config.playground_egress) {
    m_has_playground = true;
    m_playground_topics = config.playground_egress->topics;
  }
  for (const auto& e : config.kafka_egresses) m_kafka_ids.push_back(e.id);
  for (const auto& e : config.kinesis_egresses) m_kinesis_ids.push_back(e.id);
}

Result<RoutedEgress> EgressRoutes::route(const EgressMessage& message) const {
  const std::string id = message.egress_id();
  const TypedValue& record = message.argument;
  if (id == kPlaygroundEgressId && m_has_playground) return route_playground(record);
  if (contains(m_kafka_ids, id)) {
    if (record.type_name != types::kKafkaProducerRecord) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("Kafka egress {} expects {} records, got {}", id,
                                    types::kKafkaProducerRecord, record.type_name));
    }
    io::statefun::sdk::egress::KafkaProducerRecord kafka;
    if (!kafka.ParseFromString(record.value)) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("Kafka egress {}: record is not a KafkaProducerRecord", id));
    }
    return RoutedEgress{kafka.topic(), kafka.value_bytes()};
  }
  if (contains(m_kinesis_ids, id)) {
    if (record.type_name != types::kKinesisEgressRecord) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("Kinesis egress {} expects {} records, got {}", id,
                                    types::kKinesisEgressRecord, record.type_name));
    }
    io::statefun::sdk::egress::KinesisEgressRecord kinesis;
    if (!kinesis.ParseFromString(record.value)) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("Kinesis egress {}: record is not a KinesisEgressRecord", id));
    }
    return RoutedEgress{kinesis.stream(), kinesis.value_bytes()};
  }
  return make_error(ErrorCode::kNotFound,
                    fmt::format("unknown egress {} (module.yaml declares no such egress)", id));
}

Result<RoutedEgress> EgressRoutes::route_playground(const TypedValue& record) const {
  auto bad = [](std::string what) {
    return make_error(ErrorCode::kInvalidArgument, "playground egress record: " + what);
  };
  if (record.type_name != types::kPlaygroundEgressRecord) {
    return bad(fmt::format("typename must be {}, got {}", types::kPlaygroundEgressRecord,
                           record.type_name));
  }
  auto json = nlohmann::json::parse(record.value, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return bad("value is not a JSON object");
  for (const auto& [key, _] : json.items()) {
    if (key != "topic" && key != "payload") return bad(fmt::format("unknown property '{}'", key));
  }
  if (!json.contains("topic") || !json["topic"].is_string()) {
    return bad("missing or non-string 'topic'");
  }
  const std::string topic = json["topic"].get<std::string>();
  if (!contains(m_playground_topics, topic)) {
    return bad(fmt::format("topic '{}' is not one of the egress's topics", topic));
  }
  const auto payload = json.find("payload");
  if (payload == json.end() || payload->is_null()) return bad("missing 'payload'");
  // Jackson coerces numbers (and booleans) to their text; objects and arrays fail.
  if (payload->is_string()) return RoutedEgress{topic, payload->get<std::string>()};
  if (payload->is_number() || payload->is_boolean()) return RoutedEgress{topic, payload->dump()};
  return bad("'payload' must be a string");
}

}  // namespace statefun::emulator
