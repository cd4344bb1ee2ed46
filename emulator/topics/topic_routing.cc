#include "emulator/topics/topic_routing.h"

#include <fmt/format.h>

namespace statefun::emulator {
namespace {

// The route of `topic` in one ingress: the last entry naming it wins, as the
// runtime's map (topic -> routing) keeps the last put.
const ExternalIoSpec::Route* route_of(const ExternalIoSpec& ingress, std::string_view topic) {
  const ExternalIoSpec::Route* found = nullptr;
  for (const auto& route : ingress.routes) {
    if (route.source == topic) found = &route;
  }
  return found;
}

std::string_view noun(TopicKind kind) { return kind == TopicKind::kKafka ? "topic" : "stream"; }

std::string_view product(TopicKind kind) { return kind == TopicKind::kKafka ? "Kafka" : "Kinesis"; }

Error refused(TopicKind kind, const ExternalIoSpec& ingress, const TopicRecord& record,
              std::string_view what) {
  return Error{ErrorCode::kInvalidArgument,
               fmt::format("{} ingress {}: {} \"{}\": {}", product(kind), ingress.id, noun(kind),
                           record.topic, what)};
}

// The length of the valid UTF-8 prefix of a sequence starting at `bytes[0]`
// (a lead byte and its continuation bytes, with the lead-specific ranges of
// the second byte that rule out overlongs, surrogates and > U+10FFFF), and
// whether the whole sequence is valid.
struct Sequence {
  std::size_t length = 1;
  bool valid = false;
};

Sequence scan_sequence(std::string_view bytes) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return {1, true};
  std::size_t need = 0;
  unsigned char low = 0x80, high = 0xBF;  // the allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    need = 1;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    need = 2;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    need = 3;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return {1, false};  // a continuation byte or an invalid lead
  }
  std::size_t length = 1;
  for (std::size_t i = 1; i <= need; ++i) {
    if (i >= bytes.size()) return {length, false};
    const unsigned char c = byte(i);
    const bool ok = i == 1 ? (c >= low && c <= high) : (c >= 0x80 && c <= 0xBF);
    if (!ok) return {length, false};
    ++length;
  }
  return {length, true};
}

}  // namespace

std::string decode_utf8_lossy(std::string_view bytes) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(bytes.size());
  while (!bytes.empty()) {
    const Sequence sequence = scan_sequence(bytes);
    if (sequence.valid) {
      out.append(bytes.substr(0, sequence.length));
    } else {
      out.append(kReplacement);
    }
    bytes.remove_prefix(sequence.length);
  }
  return out;
}

Result<std::vector<InboxMessage>> route_topic_record(const ExternalIoSpec& ingress, TopicKind kind,
                                                     const TopicRecord& record) {
  const ExternalIoSpec::Route* route = route_of(ingress, record.topic);
  if (route == nullptr) {
    return std::unexpected(
        refused(kind, ingress, record, fmt::format("not one of the ingress's {}s", noun(kind))));
  }
  if (!record.key) {
    return std::unexpected(refused(
        kind, ingress, record,
        kind == TopicKind::kKafka
            ? "the record has no key; io.statefun.kafka.v1/ingress requires a UTF-8 key on every "
              "record (it becomes the target id)"
            : "the record has no partition key; io.statefun.kinesis.v1/ingress requires one on "
              "every record (it becomes the target id)"));
  }
  if (kind == TopicKind::kKinesis && record.key->empty()) {
    return std::unexpected(
        refused(kind, ingress, record,
                "the partition key is empty (Kinesis requires 1 to 256 characters)"));
  }
  if (!record.value) {
    return std::unexpected(
        refused(kind, ingress, record,
                "the record has no value (a tombstone); the ingress cannot route a null payload"));
  }
  const std::string id = kind == TopicKind::kKafka ? decode_utf8_lossy(*record.key) : *record.key;
  std::vector<InboxMessage> messages;
  messages.reserve(route->targets.size());
  for (const std::string& target : route->targets) {
    auto type = parse_typename(target);
    if (!type) {
      // module.yaml's parser already refuses these; a hand-built spec may not.
      return std::unexpected(refused(kind, ingress, record,
                                     fmt::format("target \"{}\" is not a namespace/name", target)));
    }
    InboxMessage message;
    message.target = Address{std::move(*type), id};
    message.argument = TypedValue{route->value_type, true, *record.value};
    message.source = MessageSource::kIngress;
    messages.push_back(std::move(message));
  }
  return messages;
}

std::vector<TopicReader> readers_of(const ModuleConfig& config, std::string_view topic) {
  std::vector<TopicReader> readers;
  const auto add = [&](const std::vector<ExternalIoSpec>& ingresses, TopicKind kind) {
    for (const auto& ingress : ingresses) {
      if (route_of(ingress, topic) != nullptr) readers.push_back({&ingress, kind});
    }
  };
  add(config.kafka_ingresses, TopicKind::kKafka);
  add(config.kinesis_ingresses, TopicKind::kKinesis);
  return readers;
}

Result<std::vector<InboxMessage>> route_produced_record(const ModuleConfig& config,
                                                        const TopicRecord& record) {
  const auto readers = readers_of(config, record.topic);
  if (readers.empty()) {
    return make_error(ErrorCode::kNotFound,
                      fmt::format("no Kafka or Kinesis ingress in {} reads topic \"{}\"",
                                  config.path.empty() ? "module.yaml" : config.path, record.topic));
  }
  std::vector<InboxMessage> all;
  for (const TopicReader& reader : readers) {
    auto messages = route_topic_record(*reader.ingress, reader.kind, record);
    if (!messages) return std::unexpected(messages.error());
    for (auto& message : *messages) all.push_back(std::move(message));
  }
  return all;
}

}  // namespace statefun::emulator
