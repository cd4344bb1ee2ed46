#include "emulator/topics/topic_json.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "egress.pb.h"
#include "emulator/topics/topic_routing.h"
#include "emulator/values/value_codec.h"
#include "runtime/core/time_text.h"
#include "runtime/protocol/well_known_types.h"

namespace statefun::emulator {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kPlaygroundEgress = "io.statefun.playground/egress";

// "key"/"key_base64" (or value) for optional bytes.
void put_bytes(Json& out, const std::string& name, const std::optional<std::string>& bytes) {
  if (!bytes) {
    out[name] = nullptr;
    out[name + "_base64"] = nullptr;
    return;
  }
  out[name] = values::is_valid_utf8(*bytes) ? Json(*bytes) : Json(nullptr);
  out[name + "_base64"] = values::base64_encode(*bytes);
}

const char* kind_name(TopicKind kind) { return kind == TopicKind::kKafka ? "kafka" : "kinesis"; }

// What a Kafka or Kinesis egress record says beyond its topic and value.
struct EgressParts {
  const char* kind = nullptr;  // nullptr: not a Kafka or Kinesis record
  std::optional<std::string> key;
};

EgressParts egress_parts(const TypedValue& record) {
  if (record.type_name == types::kKafkaProducerRecord) {
    io::statefun::sdk::egress::KafkaProducerRecord kafka;
    if (!kafka.ParseFromString(record.value)) return {};
    // An empty key is how the SDKs send "no key".
    return {"kafka", kafka.key().empty() ? std::nullopt : std::optional(kafka.key())};
  }
  if (record.type_name == types::kKinesisEgressRecord) {
    io::statefun::sdk::egress::KinesisEgressRecord kinesis;
    if (!kinesis.ParseFromString(record.value)) return {};
    return {"kinesis", std::optional(kinesis.partition_key())};
  }
  return {};
}

bool is_ingress_topic(const ModuleConfig* module, const std::vector<TopicLog>& logs,
                      const std::string& topic) {
  if (module && !readers_of(*module, topic).empty()) return true;
  return std::any_of(logs.begin(), logs.end(), [&](const TopicLog& l) { return l.topic == topic; });
}

}  // namespace

Result<Json> query_topic_list(StoreReader& reader, const ModuleConfig* module) {
  auto logs = reader.topic_logs();
  if (!logs) return std::unexpected(logs.error());
  auto egress = reader.topics();
  if (!egress) return std::unexpected(egress.error());

  std::map<std::string, Json> ingress_topics;
  const auto ingress_entry = [&](const std::string& topic) -> Json& {
    auto [it, added] = ingress_topics.try_emplace(topic);
    if (added) {
      it->second = {{"topic", topic},          {"kind", "kafka"},      {"direction", "ingress"},
                    {"owners", Json::array()}, {"declared", false},    {"records", 0},
                    {"next_offset", 0},        {"consumer_offset", 0}, {"last_at", nullptr}};
    }
    return it->second;
  };
  if (module) {
    const auto declare = [&](const std::vector<ExternalIoSpec>& ingresses, TopicKind kind) {
      for (const auto& ingress : ingresses) {
        for (const auto& route : ingress.routes) {
          Json& entry = ingress_entry(route.source);
          entry["kind"] = kind_name(kind);
          entry["declared"] = true;
          auto& owners = entry["owners"];
          if (std::find(owners.begin(), owners.end(), ingress.id) == owners.end()) {
            owners.push_back(ingress.id);
          }
        }
      }
    };
    declare(module->kafka_ingresses, TopicKind::kKafka);
    declare(module->kinesis_ingresses, TopicKind::kKinesis);
  }
  for (const auto& log : *logs) {
    Json& entry = ingress_entry(log.topic);
    entry["records"] = log.records;
    entry["next_offset"] = log.next_offset;
    // Routing happens in the commit that appends: the ingresses have
    // consumed every record there is.
    entry["consumer_offset"] = log.next_offset;
    entry["last_at"] = utc_time_text(log.last_at_ms);
  }

  std::map<std::string, Json> egress_topics;
  for (const auto& summary : *egress) {
    if (summary.egress_id == kPlaygroundEgress) continue;
    if (ingress_topics.contains(summary.topic)) continue;  // the name reads as the ingress topic
    auto [it, added] = egress_topics.try_emplace(summary.topic);
    if (added) {
      const bool kinesis =
          module && std::any_of(module->kinesis_egresses.begin(), module->kinesis_egresses.end(),
                                [&](const auto& e) { return e.id == summary.egress_id; });
      it->second = {{"topic", summary.topic}, {"kind", kinesis ? "kinesis" : "kafka"},
                    {"direction", "egress"},  {"owners", Json::array()},
                    {"declared", false},      {"records", 0},
                    {"next_offset", nullptr}, {"consumer_offset", nullptr},
                    {"last_at", nullptr}};
    }
    it->second["owners"].push_back(summary.egress_id);
    it->second["records"] = it->second["records"].get<int64_t>() + summary.records;
  }

  Json list = Json::array();
  for (auto& [topic, entry] : ingress_topics) list.push_back(std::move(entry));
  for (auto& [topic, entry] : egress_topics) list.push_back(std::move(entry));
  std::sort(list.begin(), list.end(),
            [](const Json& a, const Json& b) { return a["topic"] < b["topic"]; });
  return Json{{"topics", std::move(list)}};
}

Result<Json> query_topic_records(StoreReader& reader, const ModuleConfig* module,
                                 const std::string& topic, int64_t from, int limit) {
  auto logs = reader.topic_logs();
  if (!logs) return std::unexpected(logs.error());
  Json list = Json::array();
  int64_t next = from;
  if (is_ingress_topic(module, *logs, topic)) {
    auto rows = reader.topic_records({topic, from, limit});
    if (!rows) return std::unexpected(rows.error());
    for (const auto& row : *rows) {
      Json record = {
          {"offset", row.offset},
          {"at", utc_time_text(row.at_ms)},
          {"at_ms", row.at_ms},
          {"messages", row.messages},
          {"first_message", row.first_message ? Json(row.first_message) : Json(nullptr)}};
      put_bytes(record, "key", row.key);
      put_bytes(record, "value", row.value);
      list.push_back(std::move(record));
      next = row.offset + 1;
    }
    return Json{
        {"topic", topic}, {"direction", "ingress"}, {"records", std::move(list)}, {"next", next}};
  }
  EgressQuery query;
  query.topic = topic;
  query.from_offset = from;
  query.limit = limit;
  auto rows = reader.egress(query);
  if (!rows) return std::unexpected(rows.error());
  bool any = false;
  for (const auto& entry : *rows) {
    next = entry.offset + 1;
    if (entry.record.egress_id == kPlaygroundEgress) continue;
    const EgressParts parts = egress_parts(entry.record.argument);
    if (!parts.kind) continue;
    any = true;
    Json record = {{"offset", entry.offset},
                   {"at", utc_time_text(entry.record.at_ms)},
                   {"at_ms", entry.record.at_ms},
                   {"egress", entry.record.egress_id},
                   {"step", entry.record.step}};
    put_bytes(record, "key", parts.key);
    put_bytes(record, "value", entry.record.payload);
    list.push_back(std::move(record));
  }
  if (!any && from == 0 && rows->empty()) {
    const std::string where = module ? module->path : std::string("module.yaml");
    return make_error(ErrorCode::kNotFound,
                      fmt::format("unknown topic '{}': no Kafka or Kinesis ingress in {} reads "
                                  "it and no egress wrote to it",
                                  topic, where));
  }
  return Json{
      {"topic", topic}, {"direction", "egress"}, {"records", std::move(list)}, {"next", next}};
}

}  // namespace statefun::emulator
