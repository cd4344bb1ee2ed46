// Egress records in the formats each egress kind validates
// (docs/types.md, "Egress records").
#include <stdexcept>

#include "egress.pb.h"
#include "runtime/protocol/well_known_types.h"
#include "runtime/sdk/statefun_sdk.h"

namespace statefun::sdk {
namespace detail {

EgressMessage make_egress(std::string_view egress_id, TypedValue record) {
  auto id = parse_typename(egress_id);
  if (!id) require_typename("egress id", egress_id);  // throws
  return EgressMessage{std::move(id->ns), std::move(id->name), std::move(record)};
}

std::string big_endian(uint64_t bits, int bytes) {
  std::string out(static_cast<std::size_t>(bytes), '\0');
  for (int i = bytes - 1; i >= 0; --i, bits >>= 8) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(bits & 0xff);
  }
  return out;
}

}  // namespace detail

namespace {

void require_non_empty(std::string_view value, std::string_view what) {
  if (value.empty()) throw std::invalid_argument(std::string(what) + " must not be empty");
}

}  // namespace

EgressMessage playground_egress(std::string_view topic, std::string_view payload) {
  // The playground parses this with Jackson and rejects any other property.
  // ordered_json keeps the JS SDK's property order: {"topic":…,"payload":…}.
  const nlohmann::ordered_json record = {{"topic", topic}, {"payload", payload}};
  return detail::make_egress(
      kPlaygroundEgress,
      TypedValue{std::string(statefun::types::kPlaygroundEgressRecord), true, record.dump()});
}

EgressMessage kafka_egress(std::string_view egress_id, const KafkaRecord& record) {
  require_non_empty(record.topic, "a Kafka record's topic");
  io::statefun::sdk::egress::KafkaProducerRecord message;
  message.set_topic(record.topic);
  message.set_key(record.key);
  message.set_value_bytes(record.value);
  return detail::make_egress(egress_id,
                             TypedValue{std::string(statefun::types::kKafkaProducerRecord), true,
                                        message.SerializeAsString()});
}

EgressMessage kinesis_egress(std::string_view egress_id, const KinesisRecord& record) {
  require_non_empty(record.stream, "a Kinesis record's stream");
  require_non_empty(record.partition_key, "a Kinesis record's partition key");
  io::statefun::sdk::egress::KinesisEgressRecord message;
  message.set_stream(record.stream);
  message.set_partition_key(record.partition_key);
  message.set_value_bytes(record.value);
  message.set_explicit_hash_key(record.explicit_hash_key);
  return detail::make_egress(egress_id,
                             TypedValue{std::string(statefun::types::kKinesisEgressRecord), true,
                                        message.SerializeAsString()});
}

}  // namespace statefun::sdk
