// What the Kafka client wrapper (kafka_consumer.h, kafka_producer.h) speaks
// in: client properties, records and partition offsets. Plain structs, no
// librdkafka types, so callers and tests never include rdkafka.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace statefun::emulator::kafka {

// librdkafka client properties ("bootstrap.servers", "group.id", ...) in the
// order they are applied; a later entry overrides an earlier one.
using Properties = std::vector<std::pair<std::string, std::string>>;

// One consumed record. A null key or value is nullopt (Kafka tells a null
// key from an empty one, and StateFun's routing does too).
struct Record {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::int64_t timestamp_ms = -1;  // -1 when the record has none
};

// A partition and an offset: where to start reading (the next record's
// offset), or a committed position.
struct PartitionOffset {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  bool operator==(const PartitionOffset&) const = default;
};

// Symbolic start offsets for Consumer::assign (librdkafka's own values).
inline constexpr std::int64_t kOffsetBeginning = -2;
inline constexpr std::int64_t kOffsetEnd = -1;
// "No offset": what Consumer::committed reports for a partition the group
// never committed.
inline constexpr std::int64_t kOffsetInvalid = -1001;

// One record to produce. A nullopt key is a null key.
struct OutRecord {
  std::string topic;
  std::optional<std::string> key;
  std::string value;
};

}  // namespace statefun::emulator::kafka
