// One Kafka egress of module.yaml in `kafka: connect` mode: a thread that
// produces the egress records functions sent to it, in order, once their
// step has committed (it reads them from the state database, where they
// are durable), and then records how far it got (an ExternalOffset of kind
// "kafka-egress": the next egress seq) in a commit of its own.
//
// Guarantees (docs/kafka-kinesis.md, "Connect mode"):
//  - No record is lost: a record is produced after its step commits, and
//    the mark moves past it only after the broker acknowledged it; after a
//    kill -9 or a broker outage, production resumes from the mark.
//  - at-least-once / none: an idempotent producer (no duplicates from its
//    own retries). A kill -9 after the broker acknowledged a batch and
//    before the mark committed produces that batch again: duplicates are
//    possible then, and only then.
//  - exactly-once: each batch is also one Kafka transaction, so
//    read_committed consumers never see part of a batch, nor a batch that
//    failed. The same kill -9 window can still repeat a committed batch.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "emulator/config/module_config.h"
#include "emulator/kafka/kafka_ingress.h"
#include "emulator/kafka/kafka_link.h"
#include "emulator/kafka/kafka_producer.h"
#include "runtime/store/store.h"
#include "runtime/store/store_reader.h"

namespace statefun::emulator::kafka {

// (Store::prune keeps an egress's records from this mark on: the literal is
// in its SQL and in MemoryStore::prune.)
inline constexpr const char* kEgressOffsetKind = "kafka-egress";

// librdkafka producer properties: module.yaml's `properties`, then
// `address` as bootstrap.servers.
Properties producer_properties(const KafkaSettings& kafka);

// Opens a read-only view of the state database (committed rows only).
using OpenReader = std::function<Result<std::unique_ptr<StoreReader>>()>;

class EgressRunner final : public Link {
 public:
  // `next_seq`: the first egress seq to produce (the stored mark, or the
  // seq after the last record when connect mode starts on a database that
  // has none). Fails (kInvalidArgument, one line) on a bad property.
  static Result<std::unique_ptr<EgressRunner>> create(const ExternalIoSpec& spec,
                                                      std::int64_t next_seq, OpenReader open,
                                                      IngestFn ingest, Say info, Say warn);
  ~EgressRunner() override;

 private:
  EgressRunner(const ExternalIoSpec& spec, std::unique_ptr<Producer> producer,
               std::int64_t next_seq, OpenReader open, IngestFn ingest, Say info, Say warn);
  void run() override;
  // Produces what was committed after next_seq_; false when there was nothing.
  Result<bool> produce_batch();

  ExternalIoSpec spec_;
  std::unique_ptr<Producer> producer_;
  std::int64_t next_seq_;
  OpenReader open_;
  IngestFn ingest_;
  std::unique_ptr<StoreReader> reader_;
  // next_seq_ is not stored yet. True at start: from the mark on retention
  // keeps the records (Store::prune), even while the broker is unreachable.
  bool mark_pending_ = true;
};

}  // namespace statefun::emulator::kafka
