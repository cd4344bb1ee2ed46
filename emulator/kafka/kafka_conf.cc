#include "emulator/kafka/kafka_conf.h"

#include <fmt/format.h>

namespace statefun::emulator::kafka {

Result<void> set_property(rd_kafka_conf_t* conf, std::string_view name, std::string_view value) {
  char errstr[512] = {0};
  const std::string n(name), v(value);
  if (rd_kafka_conf_set(conf, n.c_str(), v.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("Kafka property \"{}\"=\"{}\": {}", n, v, errstr));
  }
  return {};
}

Result<ConfPtr> make_conf(const Properties& properties) {
  ConfPtr conf(rd_kafka_conf_new());
  for (const auto& [name, value] : properties) {
    if (auto set = set_property(conf.get(), name, value); !set) return std::unexpected(set.error());
  }
  return conf;
}

Error kafka_error(rd_kafka_resp_err_t err, std::string_view what, std::string_view bootstrap) {
  switch (err) {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__RESOLVE:
      return Error{ErrorCode::kUnavailable, fmt::format("Kafka broker {} unreachable ({}): {}",
                                                        bootstrap, what, rd_kafka_err2str(err))};
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
      return Error{ErrorCode::kNotFound,
                   fmt::format("Kafka {}: no such topic on {}", what, bootstrap)};
    default:
      return Error{ErrorCode::kIo,
                   fmt::format("Kafka {} on {}: {}", what, bootstrap, rd_kafka_err2str(err))};
  }
}

std::string bootstrap_of(const Properties& properties) {
  std::string out;
  for (const auto& [name, value] : properties) {
    if (name == "bootstrap.servers" || name == "metadata.broker.list") out = value;
  }
  return out;
}

}  // namespace statefun::emulator::kafka
