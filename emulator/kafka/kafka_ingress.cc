#include "emulator/kafka/kafka_ingress.h"

#include <fmt/format.h>

namespace statefun::emulator::kafka {
namespace {

using namespace std::chrono_literals;

constexpr auto kBrokerTimeout = 5s;
constexpr std::size_t kBatchRecords = 500;
constexpr auto kPollWait = 100ms;

std::string topics_of(const ExternalIoSpec& spec) {
  std::string out;
  for (const auto& route : spec.routes) out += (out.empty() ? "" : ", ") + route.source;
  return out;
}

}  // namespace

Properties consumer_properties(const KafkaSettings& kafka) {
  Properties p(kafka.properties.begin(), kafka.properties.end());
  if (!kafka.address.empty()) p.emplace_back("bootstrap.servers", kafka.address);
  if (!kafka.consumer_group_id.empty()) p.emplace_back("group.id", kafka.consumer_group_id);
  p.emplace_back("auto.offset.reset", kafka.auto_offset_reset);
  return p;
}

Result<std::unique_ptr<IngressRunner>> IngressRunner::create(const ExternalIoSpec& spec,
                                                             std::vector<ExternalOffset> stored,
                                                             RouteFn route, IngestFn ingest,
                                                             Say info, Say warn) {
  const KafkaSettings kafka = spec.kafka.value_or(KafkaSettings{});
  auto consumer = Consumer::create(consumer_properties(kafka));
  if (!consumer) {
    return make_error(consumer.error().code,
                      fmt::format("kafka ingress {}: {}", spec.id, consumer.error().message));
  }
  return std::unique_ptr<IngressRunner>(
      new IngressRunner(spec, std::move(*consumer), std::move(stored), std::move(route),
                        std::move(ingest), std::move(info), std::move(warn)));
}

IngressRunner::IngressRunner(const ExternalIoSpec& spec, std::unique_ptr<Consumer> consumer,
                             std::vector<ExternalOffset> stored, RouteFn route, IngestFn ingest,
                             Say info, Say warn)
    : Link(LinkStatus{.direction = "ingress", .id = spec.id, .address = consumer->bootstrap()},
           std::move(info), std::move(warn)),
      spec_(spec),
      consumer_(std::move(consumer)),
      route_(std::move(route)),
      ingest_(std::move(ingest)) {
  for (const auto& o : stored) {
    if (o.kind == kIngressOffsetKind && o.name == spec_.id) {
      positions_[{o.topic, o.partition}] = o.next_offset;
    }
  }
}

IngressRunner::~IngressRunner() = default;

ExternalOffset IngressRunner::offset_row(const Partition& partition, std::int64_t next) const {
  return ExternalOffset{.kind = kIngressOffsetKind,
                        .name = spec_.id,
                        .topic = partition.first,
                        .partition = partition.second,
                        .next_offset = next};
}

Result<std::int64_t> IngressRunner::start_offset(const Partition& partition,
                                                 std::int64_t committed) {
  const KafkaSettings& kafka = *spec_.kafka;
  using Start = KafkaSettings::Start;
  auto marks = consumer_->watermarks(partition.first, partition.second, kBrokerTimeout);
  if (!marks) return std::unexpected(marks.error());
  const auto [low, high] = *marks;
  auto group_or_reset = [&]() -> std::int64_t {
    if (committed >= 0) return std::clamp(committed, low, high);
    return kafka.auto_offset_reset == "earliest" ? low : high;
  };
  switch (kafka.start) {
    case Start::kEarliest:
      return low;
    case Start::kLatest:
      return high;
    case Start::kGroupOffsets:
      return group_or_reset();
    case Start::kSpecificOffsets:
      for (const auto& o : kafka.specific_offsets) {
        if (o.topic == partition.first && o.partition == partition.second) {
          return std::clamp(o.offset, low, high);
        }
      }
      return group_or_reset();
    case Start::kDate: {
      auto at = consumer_->offsets_for_time({{partition.first, partition.second, 0}},
                                            kafka.start_date_ms, kBrokerTimeout);
      if (!at) return std::unexpected(at.error());
      const auto offset = at->at(0).offset;
      return offset == kOffsetEnd ? high : offset;
    }
  }
  return high;
}

Result<void> IngressRunner::assign() {
  std::vector<Partition> partitions;
  for (const auto& route : spec_.routes) {
    auto ids = consumer_->partitions(route.source, kBrokerTimeout);
    if (!ids) return std::unexpected(ids.error());
    for (auto id : *ids) partitions.emplace_back(route.source, id);
  }
  std::vector<PartitionOffset> fresh;
  for (const auto& p : partitions) {
    if (!positions_.contains(p)) fresh.push_back({p.first, p.second, 0});
  }
  if (!fresh.empty()) {
    std::vector<PartitionOffset> committed = fresh;
    for (auto& c : committed) c.offset = kOffsetInvalid;
    using Start = KafkaSettings::Start;
    if (spec_.kafka->start == Start::kGroupOffsets ||
        spec_.kafka->start == Start::kSpecificOffsets) {
      auto got = consumer_->committed(fresh, kBrokerTimeout);
      if (!got) return std::unexpected(got.error());
      committed = *got;
    }
    std::vector<ExternalOffset> rows;
    std::map<Partition, std::int64_t> starts;
    for (const auto& c : committed) {
      const Partition p{c.topic, c.partition};
      auto start = start_offset(p, c.offset);
      if (!start) return std::unexpected(start.error());
      starts[p] = *start;
      rows.push_back(offset_row(p, *start));
    }
    // Stored before reading: a restart starts from the same place.
    if (auto stored = ingest_({}, rows); !stored) return stored;
    positions_.insert(starts.begin(), starts.end());
  }
  std::vector<PartitionOffset> assignment;
  for (const auto& p : partitions) assignment.push_back({p.first, p.second, positions_.at(p)});
  return consumer_->assign(assignment);
}

Result<bool> IngressRunner::read_batch() {
  auto records = consumer_->poll(kBatchRecords, kPollWait);
  if (!records) return std::unexpected(records.error());
  if (records->empty()) return false;
  std::vector<InboxMessage> messages;
  std::map<Partition, std::int64_t> next;
  int64_t skipped = 0;
  for (const auto& r : *records) {
    next[{r.topic, r.partition}] = r.offset + 1;
    auto routed = route_(r);
    if (!routed) {
      ++skipped;
      warn_once(fmt::format("skipped the record at {}/{} offset {}: {}", r.topic, r.partition,
                            r.offset, routed.error().message));
      continue;
    }
    for (auto& m : *routed) messages.push_back(std::move(m));
  }
  std::vector<ExternalOffset> rows;
  std::vector<PartitionOffset> group;
  for (const auto& [p, offset] : next) {
    rows.push_back(offset_row(p, offset));
    group.push_back({p.first, p.second, offset});
  }
  if (auto stored = ingest_(std::move(messages), std::move(rows)); !stored) {
    // Not committed: read these records again from the last committed offsets.
    assigned_ = false;
    return std::unexpected(stored.error());
  }
  for (const auto& [p, offset] : next) positions_[p] = offset;
  counted(static_cast<int64_t>(records->size()), skipped);
  (void)consumer_->commit(group);  // for other tools only; ours is in the database
  return true;
}

void IngressRunner::run() {
  while (!stopping()) {
    if (!assigned_) {
      if (auto r = assign(); !r) {
        if (!pause(failed(r.error()))) return;
        continue;
      }
      assigned_ = true;
      connected(fmt::format("reading {} from {}", topics_of(spec_), consumer_->bootstrap()));
    }
    auto read = read_batch();
    if (!read) {
      if (!pause(failed(read.error()))) return;
      continue;
    }
    if (*read) {
      connected(fmt::format("reading {} from {}", topics_of(spec_), consumer_->bootstrap()));
    }
  }
}

}  // namespace statefun::emulator::kafka
