#include "emulator/topics/topic_feedback.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "egress.pb.h"
#include "emulator/topics/topic_routing.h"

namespace statefun::emulator {
namespace {

bool declares(const std::vector<ExternalIoSpec>& egresses, const std::string& id) {
  return std::ranges::any_of(egresses, [&](const ExternalIoSpec& e) { return e.id == id; });
}

// Which kind of topic an egress writes to; nullopt for any other egress
// (the playground's).
std::optional<TopicKind> kind_of(const ModuleConfig& config, const std::string& egress_id) {
  if (declares(config.kafka_egresses, egress_id)) return TopicKind::kKafka;
  if (declares(config.kinesis_egresses, egress_id)) return TopicKind::kKinesis;
  return std::nullopt;
}

// The record key a consumer gets. EgressRoutes parsed the record already
// (topic and value are in RoutedEgress); the key is read again only for a
// record that goes on into an ingress. StateFun's Kafka egress produces an
// empty key as a null key.
std::optional<std::string> record_key(TopicKind kind, const std::string& record) {
  if (kind == TopicKind::kKafka) {
    io::statefun::sdk::egress::KafkaProducerRecord kafka;
    if (!kafka.ParseFromString(record) || kafka.key().empty()) return std::nullopt;
    return kafka.key();
  }
  io::statefun::sdk::egress::KinesisEgressRecord kinesis;
  if (!kinesis.ParseFromString(record)) return std::nullopt;
  return kinesis.partition_key();
}

}  // namespace

Result<void> add_topic_feedback(const ModuleConfig& config, const EgressMessage& message,
                                RoutedEgress& routed, bool feed_kafka) {
  const auto kind = kind_of(config, message.egress_id());
  if (!kind || (*kind == TopicKind::kKafka && !feed_kafka)) return {};
  std::vector<TopicReader> readers = readers_of(config, routed.topic);
  // A Kafka topic and a Kinesis stream may share a name: only its own kind reads it.
  std::erase_if(readers, [&](const TopicReader& r) { return r.kind != *kind; });
  if (readers.empty()) return {};
  const TopicRecord record{routed.topic, record_key(*kind, message.argument.value), routed.payload};
  std::vector<InboxMessage> messages;
  for (const TopicReader& reader : readers) {
    auto routed_messages = route_topic_record(*reader.ingress, reader.kind, record);
    if (!routed_messages) {
      return make_error(
          routed_messages.error().code,
          fmt::format("egress {} wrote to {} \"{}\", which {} reads: {}", message.egress_id(),
                      *kind == TopicKind::kKafka ? "topic" : "stream", record.topic,
                      reader.ingress->id, routed_messages.error().message));
    }
    for (auto& m : *routed_messages) messages.push_back(std::move(m));
  }
  TopicFeedback feedback;
  feedback.record.topic = record.topic;
  feedback.record.key = record.key;
  feedback.record.value = routed.payload;
  feedback.messages = std::move(messages);
  routed.feedback = std::move(feedback);
  return {};
}

}  // namespace statefun::emulator
