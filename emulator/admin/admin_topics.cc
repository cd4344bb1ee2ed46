// Emulated Kafka topics and Kinesis streams (docs/admin-api.md, "Topics"):
// produce a record (routed by module.yaml's ingresses and appended with its
// messages in one commit), list the topics, read a topic without consuming.
#include <fmt/format.h>

#include "emulator/admin/admin_routes.h"
#include "emulator/admin/listener.h"
#include "emulator/topics/topic_json.h"
#include "emulator/topics/topic_routing.h"
#include "emulator/values/value_codec.h"

namespace statefun::emulator::admin {
namespace {

constexpr int64_t kMaxLimit = 100000;
constexpr int64_t kMaxWaitMs = 60000;
// Kafka's legal topic characters (Kinesis stream names use the same ones).
constexpr const char* kTopicPattern = "([A-Za-z0-9._-]+)";

// Bytes from "<name>" (text) or "<name>_base64"; nullopt when neither is
// given or "<name>" is null.
Result<std::optional<std::string>> key_from(const Json& body) {
  const bool text = body.contains("key") && !body["key"].is_null();
  const bool base64 = body.contains("key_base64");
  if (text && base64) {
    return make_error(ErrorCode::kInvalidArgument, "give \"key\" or \"key_base64\", not both");
  }
  if (text) {
    if (!body["key"].is_string()) {
      return make_error(ErrorCode::kInvalidArgument, "\"key\" must be a string or null");
    }
    return std::optional<std::string>(body["key"].get<std::string>());
  }
  if (base64) {
    const auto& b = body["key_base64"];
    auto bytes = b.is_string() ? values::base64_decode(b.get<std::string>()) : std::nullopt;
    if (!bytes) return make_error(ErrorCode::kInvalidArgument, "\"key_base64\" is not base64");
    return std::optional<std::string>(std::move(*bytes));
  }
  return std::optional<std::string>();
}

// The value's bytes: exactly one of "text", "json" (stored as compact
// text) or "base64".
Result<std::string> record_value_from(const Json& body) {
  const int given = body.contains("text") + body.contains("json") + body.contains("base64");
  if (given != 1) {
    return make_error(ErrorCode::kInvalidArgument,
                      "give the value as exactly one of \"text\", \"json\" or \"base64\"");
  }
  if (auto t = body.find("text"); t != body.end()) {
    if (!t->is_string())
      return make_error(ErrorCode::kInvalidArgument, "\"text\" must be a string");
    return t->get<std::string>();
  }
  if (auto j = body.find("json"); j != body.end()) return to_text(*j);
  const auto& b = body["base64"];
  auto bytes = b.is_string() ? values::base64_decode(b.get<std::string>()) : std::nullopt;
  if (!bytes) return make_error(ErrorCode::kInvalidArgument, "\"base64\" is not base64");
  return std::move(*bytes);
}

void handle_produce(Context& c, const httplib::Request& req, httplib::Response& res) {
  if (!c.hooks.module) {
    return reply_error(res, ErrorCode::kUnavailable, "topics are not available here");
  }
  auto body = json_body(req);
  if (!body) return reply_error(res, body.error());
  auto key = key_from(*body);
  if (!key) return reply_error(res, key.error());
  auto value = record_value_from(*body);
  if (!value) return reply_error(res, value.error());
  const auto module = c.hooks.module();
  TopicRecord record{req.matches[1].str(), std::move(*key), std::move(*value)};
  auto messages = route_produced_record(*module, record);
  if (!messages) return reply_error(res, messages.error());
  std::vector<Address> targets;
  for (const auto& m : *messages) targets.push_back(m.target);
  TopicRecordRow row;
  row.topic = record.topic;
  row.key = record.key;
  row.value = std::move(*record.value);
  using Produced = Result<std::pair<TopicRecordRow, std::vector<int64_t>>>;
  auto produced = await<Produced>([&](auto done) {
    c.dispatcher.produce(std::move(row), std::move(*messages), std::move(done));
  });
  // Not acknowledged means not durable: the producer may try again.
  if (!produced) return reply(res, 503, error_json(produced.error()));
  const auto& [stored, ids] = *produced;
  Json sent = Json::array();
  for (std::size_t i = 0; i < ids.size(); ++i) {
    sent.push_back({{"id", ids[i]}, {"address", targets[i].str()}});
  }
  Json ingresses = Json::array();
  for (const auto& reader : readers_of(*module, stored.topic))
    ingresses.push_back(reader.ingress->id);
  reply(res, 200,
        {{"topic", stored.topic},
         {"offset", stored.offset},
         {"ingresses", std::move(ingresses)},
         {"messages", std::move(sent)}});
}

void handle_list(Context& c, httplib::Response& res) {
  const auto module = c.hooks.module ? c.hooks.module() : nullptr;
  auto body = query_topic_list(*c.reader, module.get());
  if (!body) return reply_error(res, body.error());
  reply(res, 200, *body);
}

void handle_read(Context& c, const httplib::Request& req, httplib::Response& res) {
  auto from = int_param(req, "from", 0);
  auto limit = int_param(req, "limit", 1000);
  auto wait_ms = int_param(req, "wait_ms", 0);
  for (const auto* r : {&from, &limit, &wait_ms}) {
    if (!*r) return reply_error(res, r->error());
  }
  if (*from < 0) return reply_error(res, ErrorCode::kInvalidArgument, "from must be >= 0");
  if (*limit < 1 || *limit > kMaxLimit) {
    return reply_error(res, ErrorCode::kInvalidArgument,
                       fmt::format("limit must be between 1 and {}", kMaxLimit));
  }
  if (*wait_ms < 0 || *wait_ms > kMaxWaitMs) {
    return reply_error(res, ErrorCode::kInvalidArgument,
                       fmt::format("wait_ms must be between 0 and {}", kMaxWaitMs));
  }
  const auto module = c.hooks.module ? c.hooks.module() : nullptr;
  const std::string topic = req.matches[1].str();
  // Long polling, as GET /v1/egress/<topic>: with nothing to return yet,
  // wait for the next commit and read again until wait_ms has passed.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(*wait_ms);
  std::optional<LongRequest> long_request;
  if (*wait_ms > 0 && !long_request.emplace().admitted()) return reply_too_many(res);
  Result<Json> body;
  for (;;) {
    const uint64_t seen = c.hub.commits();  // before the read: no commit slips between
    body = query_topic_records(*c.reader, module.get(), topic, *from, static_cast<int>(*limit));
    if (!body || !(*body)["records"].empty()) break;
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || c.stopping) break;
    c.hub.wait_for_commit(seen, left);
  }
  if (!body) return reply_error(res, body.error());
  reply(res, 200, *body);
}

}  // namespace

void register_topic_routes(httplib::Server& server, Context& c) {
  server.Get("/v1/topics",
             [&c](const httplib::Request&, httplib::Response& res) { handle_list(c, res); });
  const std::string records = fmt::format("/v1/topics/{}/records", kTopicPattern);
  server.Post(records, [&c](const httplib::Request& req, httplib::Response& res) {
    handle_produce(c, req, res);
  });
  server.Get(records, [&c](const httplib::Request& req, httplib::Response& res) {
    handle_read(c, req, res);
  });
}

}  // namespace statefun::emulator::admin
