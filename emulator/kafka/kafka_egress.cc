#include "emulator/kafka/kafka_egress.h"

#include <fmt/format.h>

#include "egress.pb.h"
#include "runtime/protocol/well_known_types.h"

namespace statefun::emulator::kafka {
namespace {

using namespace std::chrono_literals;

constexpr int kBatchRecords = 500;
constexpr auto kIdleWait = 50ms;
constexpr auto kSendTimeout = 10s;

// The Kafka record of a KafkaProducerRecord, as StateFun's Kafka egress
// writes it: an empty key is a null key (no key).
Result<OutRecord> out_record(const EgressRecord& record) {
  io::statefun::sdk::egress::KafkaProducerRecord kafka;
  if (record.argument.type_name != types::kKafkaProducerRecord ||
      !kafka.ParseFromString(record.argument.value)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("egress record #{} is not a KafkaProducerRecord", record.seq));
  }
  OutRecord out;
  out.topic = kafka.topic();
  if (!kafka.key().empty()) out.key = kafka.key();
  out.value = kafka.value_bytes();
  return out;
}

}  // namespace

Properties producer_properties(const KafkaSettings& kafka) {
  Properties p(kafka.properties.begin(), kafka.properties.end());
  if (!kafka.address.empty()) p.emplace_back("bootstrap.servers", kafka.address);
  return p;
}

Result<std::unique_ptr<EgressRunner>> EgressRunner::create(const ExternalIoSpec& spec,
                                                           std::int64_t next_seq, OpenReader open,
                                                           IngestFn ingest, Say info, Say warn) {
  const KafkaSettings kafka = spec.kafka.value_or(KafkaSettings{});
  Properties properties = producer_properties(kafka);
  std::optional<std::string> transactional_id;
  if (kafka.delivery == KafkaSettings::Delivery::kExactlyOnce) {
    transactional_id = "statefun-egress/" + spec.id;
    properties.emplace_back("transaction.timeout.ms",
                            std::to_string(kafka.transaction_timeout.count()));
  }
  auto producer = Producer::create(properties, transactional_id);
  if (!producer) {
    return make_error(producer.error().code,
                      fmt::format("kafka egress {}: {}", spec.id, producer.error().message));
  }
  return std::unique_ptr<EgressRunner>(new EgressRunner(spec, std::move(*producer), next_seq,
                                                        std::move(open), std::move(ingest),
                                                        std::move(info), std::move(warn)));
}

EgressRunner::EgressRunner(const ExternalIoSpec& spec, std::unique_ptr<Producer> producer,
                           std::int64_t next_seq, OpenReader open, IngestFn ingest, Say info,
                           Say warn)
    : Link(LinkStatus{.direction = "egress", .id = spec.id, .address = producer->bootstrap()},
           std::move(info), std::move(warn)),
      spec_(spec),
      producer_(std::move(producer)),
      next_seq_(next_seq),
      open_(std::move(open)),
      ingest_(std::move(ingest)) {}

EgressRunner::~EgressRunner() = default;

Result<bool> EgressRunner::produce_batch() {
  if (!reader_) {
    auto opened = open_();
    if (!opened) return std::unexpected(opened.error());
    reader_ = std::move(*opened);
  }
  EgressQuery query;
  query.from_offset = next_seq_;
  query.limit = kBatchRecords;
  auto entries = reader_->egress(query);
  if (!entries) {
    reader_.reset();  // opened again next time
    return std::unexpected(entries.error());
  }
  if (entries->empty()) return false;
  std::vector<OutRecord> records;
  for (const auto& e : *entries) {
    if (e.record.egress_id != spec_.id) continue;
    auto out = out_record(e.record);
    if (!out) {
      warn_once(out.error().message + " (skipped)");
      continue;
    }
    records.push_back(std::move(*out));
  }
  if (!records.empty()) {
    if (auto sent = producer_->send(records, kSendTimeout); !sent) {
      return std::unexpected(sent.error());
    }
    counted(static_cast<int64_t>(records.size()));
  }
  next_seq_ = entries->back().record.seq + 1;
  mark_pending_ = true;
  return true;
}

void EgressRunner::run() {
  bool announced = false;
  while (!stopping()) {
    // The mark first, broker or not: it is what keeps retention away from
    // the records still to produce.
    if (mark_pending_) {
      ExternalOffset mark{.kind = kEgressOffsetKind, .name = spec_.id, .next_offset = next_seq_};
      if (auto stored = ingest_({}, {mark}); !stored) {
        if (!pause(failed(stored.error()))) return;
        continue;
      }
      mark_pending_ = false;
    }
    if (!announced) {
      if (auto probed = producer_->probe(5s); !probed) {
        if (!pause(failed(probed.error()))) return;
        continue;
      }
    }
    auto produced = produce_batch();
    if (!produced) {
      if (!pause(failed(produced.error()))) return;
      continue;
    }
    if (*produced || !announced) {
      connected(fmt::format("producing to {}", producer_->bootstrap()));
      announced = true;
    }
    if (!*produced && !pause(kIdleWait)) return;
  }
}

}  // namespace statefun::emulator::kafka
