// A Kafka producer over librdkafka for the Kafka egress of `statefun dev`.
// Always idempotent (enable.idempotence: retries never duplicate or reorder
// a record within the producer's session). With a transactional id, each
// send() is one transaction: read_committed consumers see all of its
// records or none.
//
// send() returns only when the broker acknowledged every record (or with
// an error: then some records may have been written, unless transactional).
// Errors are one line, as in kafka_consumer.h: a bad property is
// kInvalidArgument, an unreachable broker kUnavailable, a missing topic
// kNotFound (checked before producing, the broker must not create it).
// Not thread-safe: one thread owns a Producer.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "emulator/kafka/kafka_types.h"
#include "runtime/core/result.h"

namespace statefun::emulator::kafka {

class Producer {
 public:
  // `properties` must name "bootstrap.servers". Nothing connects yet.
  static Result<std::unique_ptr<Producer>> create(const Properties& properties,
                                                  std::optional<std::string> transactional_id);
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  const std::string& bootstrap() const { return bootstrap_; }
  bool transactional() const { return transactional_; }

  // Asks the broker for its metadata: whether it is reachable at all.
  Result<void> probe(std::chrono::milliseconds timeout);

  // Writes the records, in order, and waits up to `timeout` for the acks.
  Result<void> send(const std::vector<OutRecord>& records, std::chrono::milliseconds timeout);

 private:
  struct Impl;
  Producer(std::unique_ptr<Impl> impl, std::string bootstrap, bool transactional);
  Result<void> check_topics(const std::vector<OutRecord>& records,
                            std::chrono::milliseconds timeout);
  Result<void> produce_all(const std::vector<OutRecord>& records,
                           std::chrono::milliseconds timeout);
  Result<void> send_transaction(const std::vector<OutRecord>& records,
                                std::chrono::milliseconds timeout);
  std::unique_ptr<Impl> impl_;
  std::string bootstrap_;
  bool transactional_ = false;
  bool transactions_ready_ = false;
  std::set<std::string> known_topics_;
};

}  // namespace statefun::emulator::kafka
