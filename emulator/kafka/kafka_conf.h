// Internal to emulator/kafka/: librdkafka configuration objects built from
// Properties, and librdkafka errors turned into our one-line Errors. Only the
// .cc files of this folder include it (it includes rdkafka.h).
#pragma once

#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>
#include <string_view>

#include "emulator/kafka/kafka_types.h"
#include "runtime/core/result.h"

namespace statefun::emulator::kafka {

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

struct HandleDeleter {
  void operator()(rd_kafka_t* h) const { rd_kafka_destroy(h); }
};
using HandlePtr = std::unique_ptr<rd_kafka_t, HandleDeleter>;

// A configuration with every property set, in order. An unknown property or
// a bad value is kInvalidArgument naming the property, e.g.
//   Kafka property "fetch.max.bytes"="lots": Invalid value for configuration property ...
Result<ConfPtr> make_conf(const Properties& properties);

// Sets one property on `conf`; the same error as make_conf.
Result<void> set_property(rd_kafka_conf_t* conf, std::string_view name, std::string_view value);

// The error for a librdkafka error code in `what` (e.g. "fetching metadata
// of topic \"t\""), on `bootstrap`: unreachable broker / timeout ->
// kUnavailable, unknown topic or partition -> kNotFound, the rest kIo.
Error kafka_error(rd_kafka_resp_err_t err, std::string_view what, std::string_view bootstrap);

// The value of "bootstrap.servers" in `properties` ("" when absent).
std::string bootstrap_of(const Properties& properties);

}  // namespace statefun::emulator::kafka
