#include "emulator/kafka/kafka_producer.h"

#include <fmt/format.h>

#include "emulator/kafka/kafka_conf.h"
#include "emulator/kafka/kafka_handle.h"

namespace statefun::emulator::kafka {
namespace {

// Counts the delivery reports of one send(); the first failure wins.
struct Deliveries {
  std::size_t pending = 0;
  rd_kafka_resp_err_t first_error = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::string first_error_topic;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  auto* d = static_cast<Deliveries*>(m->_private);
  if (d == nullptr) return;
  --d->pending;
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR && d->first_error == RD_KAFKA_RESP_ERR_NO_ERROR) {
    d->first_error = m->err;
    d->first_error_topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "";
  }
}

struct TxnError {
  void operator()(rd_kafka_error_t* e) const { rd_kafka_error_destroy(e); }
};
using TxnErrorPtr = std::unique_ptr<rd_kafka_error_t, TxnError>;

Error txn_error(const TxnErrorPtr& e, std::string_view what, const std::string& bootstrap) {
  return kafka_error(rd_kafka_error_code(e.get()),
                     fmt::format("{}: {}", what, rd_kafka_error_string(e.get())), bootstrap);
}

}  // namespace

struct Producer::Impl {
  HandleState state;
  HandlePtr handle;
};

Result<std::unique_ptr<Producer>> Producer::create(const Properties& properties,
                                                   std::optional<std::string> transactional_id) {
  auto impl = std::make_unique<Impl>();
  Properties all = properties;
  all.emplace_back("enable.idempotence", "true");
  if (transactional_id) all.emplace_back("transactional.id", *transactional_id);
  auto handle = new_handle(RD_KAFKA_PRODUCER, all, impl->state, [](rd_kafka_conf_t* conf) {
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  });
  if (!handle) return std::unexpected(handle.error());
  impl->handle = std::move(*handle);
  return std::unique_ptr<Producer>(
      new Producer(std::move(impl), bootstrap_of(properties), transactional_id.has_value()));
}

Producer::Producer(std::unique_ptr<Impl> impl, std::string bootstrap, bool transactional)
    : impl_(std::move(impl)), bootstrap_(std::move(bootstrap)), transactional_(transactional) {}

Producer::~Producer() {
  // Everything send() produced was acknowledged or reported; nothing waits.
  if (impl_ && impl_->handle) rd_kafka_flush(impl_->handle.get(), 0);
}

Result<void> Producer::probe(std::chrono::milliseconds timeout) {
  const rd_kafka_metadata_t* md = nullptr;
  auto err =
      rd_kafka_metadata(impl_->handle.get(), 1, nullptr, &md, static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return std::unexpected(kafka_error(err, "metadata", bootstrap_));
  }
  rd_kafka_metadata_destroy(md);
  return {};
}

Result<void> Producer::check_topics(const std::vector<OutRecord>& records,
                                    std::chrono::milliseconds timeout) {
  for (const auto& r : records) {
    if (known_topics_.count(r.topic)) continue;
    auto parts = topic_partitions(impl_->handle.get(), r.topic, timeout, bootstrap_);
    if (!parts) return std::unexpected(parts.error());
    known_topics_.insert(r.topic);
  }
  return {};
}

Result<void> Producer::produce_all(const std::vector<OutRecord>& records,
                                   std::chrono::milliseconds timeout) {
  rd_kafka_t* rk = impl_->handle.get();
  Deliveries d;
  for (const auto& r : records) {
    // rd_kafka_produceva rather than producev's RD_KAFKA_V_* macros: those
    // expand to GNU statement expressions, which clang's -Wpedantic refuses
    // in our code (scripts/check-thread-safety.sh).
    rd_kafka_vu_t fields[5] = {};
    fields[0].vtype = RD_KAFKA_VTYPE_TOPIC;
    fields[0].u.cstr = r.topic.c_str();
    fields[1].vtype = RD_KAFKA_VTYPE_VALUE;
    fields[1].u.mem = {const_cast<char*>(r.value.data()), r.value.size()};
    fields[2].vtype = RD_KAFKA_VTYPE_KEY;
    fields[2].u.mem = {r.key ? const_cast<char*>(r.key->data()) : nullptr,
                       r.key ? r.key->size() : 0};
    fields[3].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    fields[3].u.i = RD_KAFKA_MSG_F_COPY;
    fields[4].vtype = RD_KAFKA_VTYPE_OPAQUE;
    fields[4].u.ptr = &d;
    rd_kafka_error_t* error = rd_kafka_produceva(rk, fields, std::size(fields));
    const rd_kafka_resp_err_t err = error ? rd_kafka_error_code(error) : RD_KAFKA_RESP_ERR_NO_ERROR;
    if (error) rd_kafka_error_destroy(error);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      // What was queued before must not report into a dead Deliveries.
      rd_kafka_flush(rk, static_cast<int>(timeout.count()));
      return std::unexpected(
          kafka_error(err, fmt::format("producing to topic \"{}\"", r.topic), bootstrap_));
    }
    ++d.pending;
  }
  auto flushed = rd_kafka_flush(rk, static_cast<int>(timeout.count()));
  if (flushed != RD_KAFKA_RESP_ERR_NO_ERROR || d.pending != 0) {
    // Purge what is still queued so no late report touches `d`.
    rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(rk, 1000);
    auto global = take_error(impl_->state);
    return std::unexpected(kafka_error(global.value_or(RD_KAFKA_RESP_ERR__TIMED_OUT),
                                       "producing (waiting for acknowledgements)", bootstrap_));
  }
  if (d.first_error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return std::unexpected(kafka_error(
        d.first_error, fmt::format("producing to topic \"{}\"", d.first_error_topic), bootstrap_));
  }
  return {};
}

Result<void> Producer::send_transaction(const std::vector<OutRecord>& records,
                                        std::chrono::milliseconds timeout) {
  rd_kafka_t* rk = impl_->handle.get();
  const int ms = static_cast<int>(timeout.count());
  if (!transactions_ready_) {
    TxnErrorPtr e(rd_kafka_init_transactions(rk, ms));
    if (e) return std::unexpected(txn_error(e, "initialising transactions", bootstrap_));
    transactions_ready_ = true;
  }
  if (TxnErrorPtr e(rd_kafka_begin_transaction(rk)); e) {
    return std::unexpected(txn_error(e, "beginning a transaction", bootstrap_));
  }
  auto produced = produce_all(records, timeout);
  if (produced) {
    TxnErrorPtr e(rd_kafka_commit_transaction(rk, ms));
    if (!e) return {};
    produced = std::unexpected(txn_error(e, "committing a transaction", bootstrap_));
  }
  // Abort so the next send starts clean; a fatal error needs a new producer.
  TxnErrorPtr aborted(rd_kafka_abort_transaction(rk, ms));
  if (aborted && rd_kafka_error_is_fatal(aborted.get())) transactions_ready_ = false;
  return produced;
}

Result<void> Producer::send(const std::vector<OutRecord>& records,
                            std::chrono::milliseconds timeout) {
  if (records.empty()) return {};
  if (auto checked = check_topics(records, timeout); !checked) return checked;
  if (transactional_) return send_transaction(records, timeout);
  return produce_all(records, timeout);
}

}  // namespace statefun::emulator::kafka
