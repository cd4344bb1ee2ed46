#include "emulator/topics/topic_feedback.h"

#include <fmt/format.h>

#include <algorithm>

#include "egress.pb.h"
#include "emulator/topics/topic_routing.h"

namespace statefun::emulator {
namespace {

bool declares(const std::vector<ExternalIoSpec>& egresses, const std::string& id) {
  return std::ranges::any_of(egresses, [&](const ExternalIoSpec& e) { return e.id == id; });
}

// The record as the broker would hand it to a consumer, or nullopt when the
// egress is neither a Kafka nor a Kinesis one (EgressRoutes has parsed it
// already, so a parse failure here cannot happen for those).
std::optional<std::pair<TopicKind, TopicRecord>> as_topic_record(const ModuleConfig& config,
                                                                 const EgressMessage& message) {
  const std::string id = message.egress_id();
  if (declares(config.kafka_egresses, id)) {
    io::statefun::sdk::egress::KafkaProducerRecord kafka;
    if (!kafka.ParseFromString(message.argument.value)) return std::nullopt;
    // StateFun's Kafka egress produces an empty key as a null key.
    std::optional<std::string> key;
    if (!kafka.key().empty()) key = kafka.key();
    return std::pair{TopicKind::kKafka, TopicRecord{kafka.topic(), key, kafka.value_bytes()}};
  }
  if (declares(config.kinesis_egresses, id)) {
    io::statefun::sdk::egress::KinesisEgressRecord kinesis;
    if (!kinesis.ParseFromString(message.argument.value)) return std::nullopt;
    return std::pair{TopicKind::kKinesis,
                     TopicRecord{kinesis.stream(), kinesis.partition_key(), kinesis.value_bytes()}};
  }
  return std::nullopt;
}

}  // namespace

Result<void> add_topic_feedback(const ModuleConfig& config, const EgressMessage& message,
                                RoutedEgress& routed, bool feed_kafka) {
  auto parsed = as_topic_record(config, message);
  if (!parsed) return {};
  auto& [kind, record] = *parsed;
  if (kind == TopicKind::kKafka && !feed_kafka) return {};
  std::vector<InboxMessage> messages;
  bool read = false;
  for (const TopicReader& reader : readers_of(config, record.topic)) {
    if (reader.kind != kind) continue;  // a Kafka topic and a Kinesis stream may share a name
    read = true;
    auto routed_messages = route_topic_record(*reader.ingress, reader.kind, record);
    if (!routed_messages) {
      return make_error(
          routed_messages.error().code,
          fmt::format("egress {} wrote to {} \"{}\", which {} reads: {}", message.egress_id(),
                      kind == TopicKind::kKafka ? "topic" : "stream", record.topic,
                      reader.ingress->id, routed_messages.error().message));
    }
    for (auto& m : *routed_messages) messages.push_back(std::move(m));
  }
  if (!read) return {};
  TopicFeedback feedback;
  feedback.record.topic = record.topic;
  feedback.record.key = record.key;
  feedback.record.value = record.value.value_or("");
  feedback.messages = std::move(messages);
  routed.feedback = std::move(feedback);
  return {};
}

}  // namespace statefun::emulator
