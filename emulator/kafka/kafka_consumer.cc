#include "emulator/kafka/kafka_consumer.h"

#include <fmt/format.h>

#include "emulator/kafka/kafka_conf.h"
#include "emulator/kafka/kafka_handle.h"

namespace statefun::emulator::kafka {
namespace {

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

PartitionList to_list(const std::vector<PartitionOffset>& partitions) {
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const auto& p : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), p.topic.c_str(), p.partition)->offset = p.offset;
  }
  return list;
}

std::string describe(const std::vector<PartitionOffset>& partitions) {
  std::string topics;
  for (const auto& p : partitions) {
    if (topics.find('"' + p.topic + '"') != std::string::npos) continue;
    topics += (topics.empty() ? "" : ", ") + ('"' + p.topic + '"');
  }
  return topics;
}

// The first per-partition error of a list librdkafka filled in, if any.
Result<std::vector<PartitionOffset>> from_list(const rd_kafka_topic_partition_list_t* list,
                                               std::string_view what,
                                               const std::string& bootstrap) {
  std::vector<PartitionOffset> out;
  for (int i = 0; i < list->cnt; ++i) {
    const auto& e = list->elems[i];
    if (e.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return std::unexpected(kafka_error(
          e.err, fmt::format("{} of topic \"{}\" partition {}", what, e.topic, e.partition),
          bootstrap));
    }
    out.push_back({e.topic, e.partition, e.offset});
  }
  return out;
}

}  // namespace

struct Consumer::Impl {
  HandleState state;
  HandlePtr handle;
};

Result<std::unique_ptr<Consumer>> Consumer::create(const Properties& properties) {
  auto impl = std::make_unique<Impl>();
  Properties all = properties;
  bool has_group = false;
  for (const auto& [name, value] : properties) has_group = has_group || name == "group.id";
  // librdkafka's consumer API needs a group even for assigned partitions.
  if (!has_group) all.insert(all.begin(), {"group.id", "statefun-dev"});
  all.emplace_back("enable.auto.commit", "false");
  all.emplace_back("enable.auto.offset.store", "false");
  auto handle = new_handle(RD_KAFKA_CONSUMER, all, impl->state);
  if (!handle) return std::unexpected(handle.error());
  impl->handle = std::move(*handle);
  rd_kafka_poll_set_consumer(impl->handle.get());
  return std::unique_ptr<Consumer>(new Consumer(std::move(impl), bootstrap_of(properties)));
}

Consumer::Consumer(std::unique_ptr<Impl> impl, std::string bootstrap)
    : impl_(std::move(impl)), bootstrap_(std::move(bootstrap)) {}

Consumer::~Consumer() {
  if (impl_ && impl_->handle) rd_kafka_consumer_close(impl_->handle.get());
}

Result<std::vector<std::int32_t>> Consumer::partitions(const std::string& topic,
                                                       std::chrono::milliseconds timeout) {
  return topic_partitions(impl_->handle.get(), topic, timeout, bootstrap_);
}

Result<std::vector<PartitionOffset>> Consumer::committed(
    const std::vector<PartitionOffset>& partitions, std::chrono::milliseconds timeout) {
  auto list = to_list(partitions);
  auto err = rd_kafka_committed(impl_->handle.get(), list.get(), static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return std::unexpected(kafka_error(
        err, fmt::format("committed offsets of topic {}", describe(partitions)), bootstrap_));
  }
  return from_list(list.get(), "committed offset", bootstrap_);
}

Result<std::vector<PartitionOffset>> Consumer::offsets_for_time(
    const std::vector<PartitionOffset>& partitions, std::int64_t timestamp_ms,
    std::chrono::milliseconds timeout) {
  auto list = to_list(partitions);
  for (int i = 0; i < list->cnt; ++i) list->elems[i].offset = timestamp_ms;
  auto err = rd_kafka_offsets_for_times(impl_->handle.get(), list.get(),
                                        static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return std::unexpected(kafka_error(
        err, fmt::format("offsets by time of topic {}", describe(partitions)), bootstrap_));
  }
  auto out = from_list(list.get(), "offset by time", bootstrap_);
  // No record at or after the time: the broker answers -1, i.e. the end.
  if (out) {
    for (auto& p : *out) {
      if (p.offset < 0) p.offset = kOffsetEnd;
    }
  }
  return out;
}

Result<std::pair<std::int64_t, std::int64_t>> Consumer::watermarks(
    const std::string& topic, std::int32_t partition, std::chrono::milliseconds timeout) {
  int64_t low = 0, high = 0;
  auto err = rd_kafka_query_watermark_offsets(impl_->handle.get(), topic.c_str(), partition, &low,
                                              &high, static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return std::unexpected(kafka_error(
        err, fmt::format("offsets of topic \"{}\" partition {}", topic, partition), bootstrap_));
  }
  return std::pair{low, high};
}

Result<void> Consumer::assign(const std::vector<PartitionOffset>& partitions) {
  auto list = to_list(partitions);
  auto err = rd_kafka_assign(impl_->handle.get(), list.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return std::unexpected(kafka_error(
        err, fmt::format("assigning partitions of topic {}", describe(partitions)), bootstrap_));
  }
  return {};
}

Result<std::vector<Record>> Consumer::poll(std::size_t max, std::chrono::milliseconds timeout) {
  std::vector<Record> out;
  auto wait = static_cast<int>(timeout.count());
  while (out.size() < max) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(impl_->handle.get(), wait);
    wait = 0;
    if (m == nullptr) break;
    std::unique_ptr<rd_kafka_message_t, void (*)(rd_kafka_message_t*)> own(
        m, rd_kafka_message_destroy);
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (!out.empty()) break;  // hand over what came; the error comes again
      std::string what = m->rkt ? fmt::format("reading topic \"{}\"", rd_kafka_topic_name(m->rkt))
                                : std::string("reading");
      return std::unexpected(kafka_error(m->err, what, bootstrap_));
    }
    Record r;
    r.topic = rd_kafka_topic_name(m->rkt);
    r.partition = m->partition;
    r.offset = m->offset;
    if (m->key) r.key.emplace(static_cast<const char*>(m->key), m->key_len);
    if (m->payload) r.value.emplace(static_cast<const char*>(m->payload), m->len);
    rd_kafka_timestamp_type_t type;
    r.timestamp_ms = rd_kafka_message_timestamp(m, &type);
    out.push_back(std::move(r));
  }
  if (out.empty()) {
    if (auto err = take_error(impl_->state); err) {
      return std::unexpected(kafka_error(*err, "reading", bootstrap_));
    }
  }
  return out;
}

Result<void> Consumer::commit(const std::vector<PartitionOffset>& offsets) {
  if (offsets.empty()) return {};
  auto list = to_list(offsets);
  auto err = rd_kafka_commit(impl_->handle.get(), list.get(), 1);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return std::unexpected(kafka_error(
        err, fmt::format("committing offsets of topic {}", describe(offsets)), bootstrap_));
  }
  return {};
}

}  // namespace statefun::emulator::kafka
