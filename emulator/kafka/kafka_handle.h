// Internal to emulator/kafka/: what the consumer and the producer share: a
// librdkafka handle made from Properties whose global errors (broker down,
// resolve failure, fatal) are kept for the caller to take instead of being
// printed, and the metadata look-up of a topic's partitions.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "emulator/kafka/kafka_conf.h"
#include "runtime/core/thread_annotations.h"

namespace statefun::emulator::kafka {

// Filled by librdkafka's error callback (which runs inside poll calls).
struct HandleState {
  Mutex mu;
  std::optional<rd_kafka_resp_err_t> last_error STATEFUN_GUARDED_BY(mu);
};

// The last global error since the previous call, if any.
std::optional<rd_kafka_resp_err_t> take_error(HandleState& state);

// A handle of `type` configured by `properties` and then by `extra` (for
// callbacks). librdkafka's own log lines are dropped: problems reach the
// caller as Errors.
Result<HandlePtr> new_handle(rd_kafka_type_t type, const Properties& properties, HandleState& state,
                             const std::function<void(rd_kafka_conf_t*)>& extra = {});

// The partition ids of `topic` from the broker's metadata.
Result<std::vector<std::int32_t>> topic_partitions(rd_kafka_t* handle, const std::string& topic,
                                                   std::chrono::milliseconds timeout,
                                                   const std::string& bootstrap);

}  // namespace statefun::emulator::kafka
