// One Kafka ingress of module.yaml in `kafka: connect` mode: a thread that
// reads its topics from the broker at its `address` and appends what each
// record routes to to the inbox IN THE SAME COMMIT as the offsets it
// advances (Dispatcher::ingest), so from the broker to state every record
// applies exactly once, across kill -9.
//
// Where it starts, per partition: the offset stored in the state database
// when there is one (a restart goes on where the last commit left off);
// otherwise module.yaml's startupPosition (earliest, latest, group-offsets
// falling back to autoOffsetResetPosition, specific-offsets falling back to
// group offsets for unlisted partitions, date), resolved to a concrete
// offset and stored before anything is read, so "latest" does not move on
// with the broker across a restart. After each commit the offsets are also
// committed to the consumer group (for other tools to see).
//
// A record no route takes (no key, no value: StateFun would fail the job)
// is skipped with a warning and counted; its offset moves on. Problems
// (unreachable broker, missing topic) are retried with backoff and shown
// once (kafka_link.h).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "emulator/config/module_config.h"
#include "emulator/kafka/kafka_consumer.h"
#include "emulator/kafka/kafka_link.h"
#include "runtime/store/store.h"

namespace statefun::emulator::kafka {

// The messages one record becomes (kafka-emu's routing, topic_routing.h).
using RouteFn = std::function<Result<std::vector<InboxMessage>>(const Record& record)>;
// Appends messages and writes offsets in one commit; returns once durable.
using IngestFn = std::function<Result<void>(std::vector<InboxMessage> messages,
                                            std::vector<ExternalOffset> offsets)>;

inline constexpr const char* kIngressOffsetKind = "kafka-ingress";

// The librdkafka consumer properties of a Kafka ingress: module.yaml's
// `properties`, then `address` as bootstrap.servers and `consumerGroupId`
// as group.id, and autoOffsetResetPosition as auto.offset.reset.
Properties consumer_properties(const KafkaSettings& kafka);

class IngressRunner final : public Link {
 public:
  // Fails (kInvalidArgument, one line) on a property librdkafka refuses.
  static Result<std::unique_ptr<IngressRunner>> create(const ExternalIoSpec& spec,
                                                       std::vector<ExternalOffset> stored,
                                                       RouteFn route, IngestFn ingest, Say info,
                                                       Say warn);
  ~IngressRunner() override;

 private:
  using Partition = std::pair<std::string, std::int32_t>;
  IngressRunner(const ExternalIoSpec& spec, std::unique_ptr<Consumer> consumer,
                std::vector<ExternalOffset> stored, RouteFn route, IngestFn ingest, Say info,
                Say warn);
  void run() override;
  // Finds the partitions, decides where each starts, stores new start
  // offsets, assigns.
  Result<void> assign();
  Result<std::int64_t> start_offset(const Partition& partition, std::int64_t committed);
  // Reads one batch and ingests it; false when nothing came.
  Result<bool> read_batch();
  ExternalOffset offset_row(const Partition& partition, std::int64_t next) const;

  ExternalIoSpec spec_;
  std::unique_ptr<Consumer> consumer_;
  RouteFn route_;
  IngestFn ingest_;
  std::map<Partition, std::int64_t> positions_;  // the next offset, as committed
  bool assigned_ = false;
};

}  // namespace statefun::emulator::kafka
