// Read-only admin routes over the committed database: egress topics and
// records (read from an offset without consuming), and the step trace.
#include <fmt/format.h>

#include <algorithm>

#include "emulator/admin/admin_routes.h"
#include "emulator/admin/causal_json.h"
#include "emulator/admin/listener.h"

namespace statefun::emulator::admin {
namespace {

constexpr int64_t kMaxLimit = 100000;
constexpr int64_t kMaxWaitMs = 60000;

Result<int> limit_param(const httplib::Request& req, int64_t fallback) {
  auto limit = int_param(req, "limit", fallback);
  if (!limit) return std::unexpected(limit.error());
  if (*limit < 1 || *limit > kMaxLimit) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("limit must be between 1 and {}", kMaxLimit));
  }
  return static_cast<int>(*limit);
}

void read_topic(Context& c, const httplib::Request& req, httplib::Response& res) {
  EgressQuery query;
  query.topic = req.matches[1].str();
  auto from = int_param(req, "from", 0);
  auto after = int_param(req, "after_step", 0);
  auto wait_ms = int_param(req, "wait_ms", 0);
  auto limit = limit_param(req, 1000);
  for (const auto* r : {&from, &after, &wait_ms}) {
    if (!*r) return reply_error(res, r->error());
  }
  if (!limit) return reply_error(res, limit.error());
  if (*from < 0) return reply_error(res, ErrorCode::kInvalidArgument, "from must be >= 0");
  if (*wait_ms < 0 || *wait_ms > kMaxWaitMs) {
    return reply_error(res, ErrorCode::kInvalidArgument,
                       fmt::format("wait_ms must be between 0 and {}", kMaxWaitMs));
  }
  query.from_offset = *from;
  query.after_step = *after;
  query.limit = *limit;
  // Long polling: with nothing to return yet, wait for the next commit and
  // read again, until wait_ms has passed.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(*wait_ms);
  std::optional<LongRequest> long_request;
  if (*wait_ms > 0 && !long_request.emplace().admitted()) return reply_too_many(res);
  Result<Json> body;
  for (;;) {
    const uint64_t seen = c.hub.commits();  // before the read: no commit slips between
    body = query_egress(*c.reader, query);
    if (!body || !(*body)["records"].empty()) break;
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    // Stopping: the hub no longer waits, so this would spin until the deadline.
    if (left.count() <= 0 || c.stopping) break;
    c.hub.wait_for_commit(seen, left);
  }
  if (!body) return reply_error(res, body.error());
  const auto& topics = c.facts.egress_topics;
  const bool declared = std::find(topics.begin(), topics.end(), *query.topic) != topics.end();
  if (!declared && (*body)["records"].empty() && query.from_offset == 0) {
    // Not a playground topic and nothing was ever written to it.
    auto any = c.reader->egress({query.topic, 0, 0, 1});
    if (any && any->empty()) {
      std::string known;
      for (const auto& t : topics) known += (known.empty() ? "" : ", ") + t;
      return reply_error(res, ErrorCode::kNotFound,
                         fmt::format("unknown egress topic '{}' (declared topics: {})",
                                     *query.topic, known.empty() ? "none" : known));
    }
  }
  reply(res, 200, *body);
}

}  // namespace

void register_read_routes(httplib::Server& server, Context& c) {
  server.Get("/v1/egress", [&c](const httplib::Request&, httplib::Response& res) {
    auto body = query_topics(*c.reader, c.facts.egress_topics);
    body ? reply(res, 200, *body) : reply_error(res, body.error());
  });
  server.Get(R"(/v1/egress/([^/]+))",
             [&c](const auto& req, auto& res) { read_topic(c, req, res); });
  // Records of every topic produced by steps after `after_step`.
  server.Get("/v1/egress-records", [&c](const httplib::Request& req, httplib::Response& res) {
    auto after = int_param(req, "after_step", 0);
    if (!after) return reply_error(res, after.error());
    auto limit = limit_param(req, 1000);
    if (!limit) return reply_error(res, limit.error());
    auto body = query_egress(*c.reader, {std::nullopt, 0, *after, *limit});
    body ? reply(res, 200, *body) : reply_error(res, body.error());
  });
  server.Get("/v1/trace", [&c](const httplib::Request& req, httplib::Response& res) {
    TraceQuery query;
    auto address = address_param(req, "address");
    if (!address) return reply_error(res, address.error());
    query.address = *address;
    auto after = int_param(req, "after_step", 0);
    auto since = int_param(req, "since_ms", 0);
    auto limit = limit_param(req, 1000);
    for (const auto* r : {&after, &since}) {
      if (!*r) return reply_error(res, r->error());
    }
    if (!limit) return reply_error(res, limit.error());
    query.after_step = *after;
    query.since_ms = *since;
    query.limit = *limit;
    query.newest = param(req, "newest").value_or("") == "true";
    auto body = query_trace(*c.reader, query);
    if (body && param(req, "payloads").value_or("") == "true") {
      if (auto r = add_step_payloads(*c.reader, *body); !r) return reply_error(res, r.error());
    }
    body ? reply(res, 200, *body) : reply_error(res, body.error());
  });
}

}  // namespace statefun::emulator::admin
