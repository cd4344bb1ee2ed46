// The routing of one Kafka or Kinesis record to inbox messages, as StateFun
// 3.3's `io.statefun.kafka.v1/ingress` and `io.statefun.kinesis.v1/ingress`
// do it (docs/kafka-kinesis.md, "Routing"). Pure: no store, no clock, no I/O;
// the emulated topics (`statefun topic produce`) and a real broker's consumer
// both call it, so a record becomes the same messages either way.
//
// The rules (each one is StateFun 3.3's behaviour; tests/emulator/
// topic_routing_test.cc checks every one):
//  - An ingress routes a record of topic T (Kafka) or stream T (Kinesis) by
//    the entry of its `topics:` / `streams:` list whose `topic:` / `stream:`
//    is T. When T is listed twice in one ingress, the LAST entry wins (the
//    runtime reads the list into a map keyed by topic). A topic the ingress
//    does not list is an error (the runtime fails the job).
//  - The record key becomes the target id. A Kafka key is bytes, decoded as
//    UTF-8; malformed sequences become U+FFFD, as Java's String does. An
//    empty Kafka key is a valid id (""). A record WITHOUT a key is an error
//    (the runtime fails the job: "requires a UTF-8 key set for each record").
//    A Kinesis partition key is text; Kinesis itself refuses an empty one.
//  - One message per entry of `targets`, in their order (a target listed
//    twice gets the record twice; an empty list routes to nothing), to
//    address <target>/<id>, with no caller.
//  - The message's value is the record value's bytes unchanged, typed with
//    `valueType` verbatim (has_value true; an empty value is a present empty
//    value). A record without a value (a Kafka tombstone) is an error (the
//    runtime cannot wrap a null payload and fails the job).
//  - Record headers, partitions and timestamps play no part.
//
// Errors are kInvalidArgument (kNotFound for a topic nobody reads), one line
// naming the ingress, the topic and what is wrong. A real cluster would fail
// the job on such a record; the emulator refuses it instead (nothing stored).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emulator/config/module_config.h"
#include "runtime/core/result.h"
#include "runtime/store/store.h"

namespace statefun::emulator {

enum class TopicKind { kKafka, kKinesis };

// One record as a producer wrote it. nullopt key / value: absent (null), which
// is not the same as empty.
struct TopicRecord {
  std::string topic;  // Kafka topic or Kinesis stream
  std::optional<std::string> key;
  std::optional<std::string> value;
};

// The inbox messages one ingress makes of one record (possibly none, when the
// route's `targets` is empty). Messages have source kIngress, no caller, and
// seq / accepted_at_ms 0 (the engine fills them when it appends them).
Result<std::vector<InboxMessage>> route_topic_record(const ExternalIoSpec& ingress, TopicKind kind,
                                                     const TopicRecord& record);

// An ingress that reads a topic, with its kind.
struct TopicReader {
  const ExternalIoSpec* ingress = nullptr;
  TopicKind kind = TopicKind::kKafka;
};

// Every Kafka ingress reading Kafka topic `topic` and every Kinesis ingress
// reading stream `topic`, in module.yaml order. Each one consumes the record
// on its own on a real cluster, so a record reaches the targets of all.
std::vector<TopicReader> readers_of(const ModuleConfig& config, std::string_view topic);

// Routes a record through every ingress reading its topic (readers_of),
// messages in that order. kNotFound when no ingress reads the topic; the
// first ingress's error when one refuses the record (then nothing is routed).
Result<std::vector<InboxMessage>> route_produced_record(const ModuleConfig& config,
                                                        const TopicRecord& record);

// Decodes bytes as Java's `new String(bytes, UTF_8)` does: each maximal
// malformed subsequence becomes U+FFFD. Valid UTF-8 comes back unchanged.
std::string decode_utf8_lossy(std::string_view bytes);

}  // namespace statefun::emulator
