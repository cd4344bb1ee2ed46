// A Kafka consumer over librdkafka that reads assigned partitions from
// offsets chosen by the caller. No group rebalancing and no automatic
// commits: `statefun dev` keeps the offsets it consumed in its own database
// (in the same commit as the inbox) and tells the group afterwards, like
// Flink's Kafka source does with its checkpoints.
//
// Errors are one line, naming the broker and what was asked:
//   bad property        kInvalidArgument  Kafka property "x"="y": No such configuration property:
//   "x" broker unreachable  kUnavailable      Kafka broker 127.0.0.1:1 unreachable (metadata of
//   topic "t"): ... topic missing       kNotFound         Kafka metadata of topic "t": no such
//   topic on 127.0.0.1:9092
// Not thread-safe: one thread owns a Consumer.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "emulator/kafka/kafka_types.h"
#include "runtime/core/result.h"

namespace statefun::emulator::kafka {

class Consumer {
 public:
  // `properties` must name "bootstrap.servers"; "group.id" is needed for
  // committed()/commit(). Nothing connects yet. Automatic commits and
  // offset stores are turned off whatever the properties say.
  static Result<std::unique_ptr<Consumer>> create(const Properties& properties);
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  const std::string& bootstrap() const { return bootstrap_; }

  // The partition ids of `topic`, asked from the broker.
  Result<std::vector<std::int32_t>> partitions(const std::string& topic,
                                               std::chrono::milliseconds timeout);

  // The group's committed offset of each partition (kOffsetInvalid where
  // it has none). The offsets in `partitions` are ignored.
  Result<std::vector<PartitionOffset>> committed(const std::vector<PartitionOffset>& partitions,
                                                 std::chrono::milliseconds timeout);

  // For each partition, the offset of its first record with a timestamp at
  // or after `timestamp_ms`, or kOffsetEnd when there is none.
  Result<std::vector<PartitionOffset>> offsets_for_time(
      const std::vector<PartitionOffset>& partitions, std::int64_t timestamp_ms,
      std::chrono::milliseconds timeout);

  // The low (first) and high (next to be written) offsets of a partition.
  Result<std::pair<std::int64_t, std::int64_t>> watermarks(const std::string& topic,
                                                           std::int32_t partition,
                                                           std::chrono::milliseconds timeout);

  // Reads exactly these partitions, each from its offset (an offset,
  // kOffsetBeginning or kOffsetEnd). Replaces an earlier assignment.
  Result<void> assign(const std::vector<PartitionOffset>& partitions);

  // Up to `max` records of the assigned partitions: waits up to `timeout`
  // for the first, then takes what has already arrived. An empty vector
  // when nothing came. A broker-level problem (unreachable, topic deleted)
  // is an error; the assignment stays, so a later poll goes on.
  Result<std::vector<Record>> poll(std::size_t max, std::chrono::milliseconds timeout);

  // Commits these next-record offsets for the group, without waiting for
  // the broker's answer (the group's offsets are for other tools to see:
  // statefun's own offsets are in its database).
  Result<void> commit(const std::vector<PartitionOffset>& offsets);

 private:
  struct Impl;
  explicit Consumer(std::unique_ptr<Impl> impl, std::string bootstrap);
  std::unique_ptr<Impl> impl_;
  std::string bootstrap_;
};

}  // namespace statefun::emulator::kafka
