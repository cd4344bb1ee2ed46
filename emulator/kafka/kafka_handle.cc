#include "emulator/kafka/kafka_handle.h"

#include <fmt/format.h>

namespace statefun::emulator::kafka {
namespace {

void on_error(rd_kafka_t*, int err, const char*, void* opaque) {
  auto* state = static_cast<HandleState*>(opaque);
  const auto code = static_cast<rd_kafka_resp_err_t>(err);
  MutexLock lock(state->mu);
  // "All brokers down" says more than the transport error before it; keep it.
  if (state->last_error == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN &&
      code == RD_KAFKA_RESP_ERR__TRANSPORT) {
    return;
  }
  state->last_error = code;
}

void drop_log(const rd_kafka_t*, int, const char*, const char*) {}

}  // namespace

std::optional<rd_kafka_resp_err_t> take_error(HandleState& state) {
  MutexLock lock(state.mu);
  auto out = state.last_error;
  state.last_error.reset();
  return out;
}

Result<HandlePtr> new_handle(rd_kafka_type_t type, const Properties& properties, HandleState& state,
                             const std::function<void(rd_kafka_conf_t*)>& extra) {
  if (bootstrap_of(properties).empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "Kafka property \"bootstrap.servers\" is missing");
  }
  auto conf = make_conf(properties);
  if (!conf) return std::unexpected(conf.error());
  rd_kafka_conf_set_opaque(conf->get(), &state);
  rd_kafka_conf_set_error_cb(conf->get(), on_error);
  rd_kafka_conf_set_log_cb(conf->get(), drop_log);
  if (extra) extra(conf->get());
  char errstr[512] = {0};
  rd_kafka_t* handle = rd_kafka_new(type, conf->get(), errstr, sizeof errstr);
  if (handle == nullptr) {
    // rd_kafka_new refuses combinations of valid properties (e.g. a
    // transactional id without idempotence); the conf is still ours.
    return make_error(ErrorCode::kInvalidArgument, fmt::format("Kafka properties: {}", errstr));
  }
  (void)conf->release();  // the handle owns it now
  return HandlePtr(handle);
}

Result<std::vector<std::int32_t>> topic_partitions(rd_kafka_t* handle, const std::string& topic,
                                                   std::chrono::milliseconds timeout,
                                                   const std::string& bootstrap) {
  rd_kafka_topic_t* t = rd_kafka_topic_new(handle, topic.c_str(), nullptr);
  if (t == nullptr) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("Kafka topic \"{}\": {}", topic, rd_kafka_err2str(rd_kafka_last_error())));
  }
  const rd_kafka_metadata_t* md = nullptr;
  auto err = rd_kafka_metadata(handle, 0, t, &md, static_cast<int>(timeout.count()));
  rd_kafka_topic_destroy(t);
  const auto what = fmt::format("metadata of topic \"{}\"", topic);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return std::unexpected(kafka_error(err, what, bootstrap));
  std::unique_ptr<const rd_kafka_metadata_t, void (*)(const rd_kafka_metadata_t*)> own(
      md, rd_kafka_metadata_destroy);
  if (md->topic_cnt < 1) {
    return std::unexpected(kafka_error(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, what, bootstrap));
  }
  const auto& tm = md->topics[0];
  if (tm.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return std::unexpected(kafka_error(tm.err, what, bootstrap));
  }
  std::vector<std::int32_t> out;
  for (int i = 0; i < tm.partition_cnt; ++i) out.push_back(tm.partitions[i].id);
  if (out.empty()) {
    return std::unexpected(kafka_error(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, what, bootstrap));
  }
  return out;
}

}  // namespace statefun::emulator::kafka
