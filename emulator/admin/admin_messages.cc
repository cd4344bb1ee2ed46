// Admin routes for messages and their causal trees: one message, the last
// one sent through the admin API, and the tree of steps a message caused,
// optionally waited for (what `statefun send --wait` and `statefun trace
// --tree` use). Waiting is per tree: another address that keeps failing
// does not hold it up, and a message of the tree that is stuck ends it.
#include <fmt/format.h>

#include "emulator/admin/admin_routes.h"
#include "emulator/admin/causal_json.h"
#include "emulator/admin/listener.h"
#include "runtime/core/time_text.h"

namespace statefun::emulator::admin {
namespace {

// As long as `statefun send --wait --timeout 1d` may ask (a long poll holds no
// worker of the pool: listener.h).
constexpr int64_t kMaxWaitMs = 365LL * 24 * 3600 * 1000;
constexpr int64_t kMaxNodes = 100000;

Result<int64_t> id_from(const httplib::Request& req) {
  const std::string text = req.matches[1].str();
  try {
    return std::stoll(text);
  } catch (...) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("'{}' is not an id", text));
  }
}

// Why a pending message of a tree is stuck, or nullopt while it is not
// (yet): its address has been failing for `stuck_after_ms`, or no endpoint
// serves its function type and it has waited that long.
std::optional<Json> stuck_reason(Context& c, const StoredMessage& pending, int64_t now,
                                 int64_t stuck_after_ms) {
  const auto& m = pending.message;
  if (auto failure = c.hub.failure(m.target)) {
    const int64_t failing_ms = now - failure->first_at_ms;
    if (failing_ms < stuck_after_ms) return std::nullopt;
    return Json{
        {"id", m.seq},
        {"address", m.target.str()},
        {"reason", failure->reason},
        {"attempts", failure->attempt},
        {"failing_ms", failing_ms},
        {"failure", call_failure_json(*failure)},
        {"error", fmt::format("{} keeps failing: {} ({} attempt{} in {})", m.target.str(),
                              failure->reason, failure->attempt, failure->attempt == 1 ? "" : "s",
                              duration_text(std::chrono::milliseconds(failing_ms)))}};
  }
  const int64_t pending_ms = now - m.accepted_at_ms;
  if (pending_ms < stuck_after_ms || !c.hooks.route || c.hooks.route(m.target.type)) {
    return std::nullopt;
  }
  return Json{{"id", m.seq},
              {"address", m.target.str()},
              {"reason", fmt::format("no endpoint serves {}", m.target.type.str())},
              {"attempts", 0},
              {"failing_ms", pending_ms},
              {"failure", nullptr},
              {"error", fmt::format("{} waits: no endpoint in module.yaml serves {}",
                                    m.target.str(), m.target.type.str())}};
}

// The message whose tree to show: the one in the path, or with `root=true`
// the root of its tree; for /v1/steps/{step}/tree the root of the tree of
// the step's first message. `focus` is what the caller asked about.
struct TreeStart {
  int64_t id = 0;
  Json focus;
};

Result<TreeStart> tree_start(Context& c, const httplib::Request& req, bool by_step) {
  auto number = id_from(req);
  if (!number) return std::unexpected(number.error());
  if (by_step) {
    auto first = first_message_of_step(*c.reader, *number);
    if (!first) return std::unexpected(first.error());
    auto root = causal_root(*c.reader, *first);
    if (!root) return std::unexpected(root.error());
    return TreeStart{*root, Json{{"step", *number}, {"message", *first}}};
  }
  const std::string root_param = req.get_param_value("root");
  if (root_param != "" && root_param != "true" && root_param != "false") {
    return make_error(ErrorCode::kInvalidArgument, "root must be true or false");
  }
  if (root_param != "true") return TreeStart{*number, Json{{"message", *number}}};
  auto root = causal_root(*c.reader, *number);
  if (!root) return std::unexpected(root.error());
  return TreeStart{*root, Json{{"message", *number}}};
}

void get_tree(Context& c, const httplib::Request& req, httplib::Response& res, bool by_step) {
  auto start = tree_start(c, req, by_step);
  if (!start) return reply_error(res, start.error());
  const int64_t id = start->id;
  auto max_nodes = int_param(req, "max_nodes", 1000);
  auto wait_ms = int_param(req, "wait_ms", 0);
  auto stuck_after_ms = int_param(req, "stuck_after_ms", 5000);
  for (const auto* r : {&max_nodes, &wait_ms, &stuck_after_ms}) {
    if (!*r) return reply_error(res, r->error());
  }
  if (*max_nodes < 1 || *max_nodes > kMaxNodes) {
    return reply_error(res, ErrorCode::kInvalidArgument,
                       fmt::format("max_nodes must be between 1 and {}", kMaxNodes));
  }
  if (*wait_ms < 0 || *wait_ms > kMaxWaitMs || *stuck_after_ms < 0) {
    return reply_error(
        res, ErrorCode::kInvalidArgument,
        fmt::format("wait_ms must be between 0 and {} and stuck_after_ms at least 0", kMaxWaitMs));
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(*wait_ms);
  std::optional<LongRequest> long_request;
  if (*wait_ms > 0 && !long_request.emplace().admitted()) return reply_too_many(res);
  for (;;) {
    const uint64_t seen = c.hub.commits();
    auto tree = build_causal_tree(*c.reader, id, *max_nodes);
    if (!tree) return reply_error(res, tree.error());
    const int64_t now = now_ms(c);
    Json body = causal_tree_json(*tree, now);
    // Why each pending message waits, when its address is failing: what a
    // caller prints when it gives up (stuck or timed out).
    for (auto& pending : body["pending"]) {
      auto address = parse_address(pending.value("target", std::string()));
      auto failure = address ? c.hub.failure(*address) : nullptr;
      pending["failure"] = failure ? call_failure_json(*failure) : Json(nullptr);
    }
    Json stuck = Json::array();
    for (const auto& pending : tree->pending) {
      if (auto reason = stuck_reason(c, pending, now, *stuck_after_ms)) {
        stuck.push_back(std::move(*reason));
      }
    }
    const bool waiting = *wait_ms > 0;
    const char* outcome = tree->settled()                                ? "settled"
                          : !waiting                                     ? "pending"
                          : !stuck.empty()                               ? "stuck"
                          : std::chrono::steady_clock::now() >= deadline ? "timeout"
                          : c.stopping                                   ? "stopping"
                                                                         : nullptr;
    if (outcome) {
      body["outcome"] = outcome;
      body["focus"] = start->focus;
      body["stuck"] = std::move(stuck);
      return reply(res, 200, body);
    }
    // Trees change at commits; the slice covers failures (which commit
    // nothing) turning into "stuck", and the deadline.
    c.hub.wait_for_commit(seen, std::chrono::milliseconds(20));
  }
}

}  // namespace

void register_message_routes(httplib::Server& server, Context& c) {
  server.Get("/v1/messages/last", [&c](const httplib::Request&, httplib::Response& res) {
    auto body = query_last_sent(*c.reader);
    body ? reply(res, 200, *body) : reply_error(res, body.error());
  });
  server.Get(R"(/v1/messages/(\d{1,18}))", [&c](const auto& req, auto& res) {
    auto id = id_from(req);
    if (!id) return reply_error(res, id.error());
    auto message = c.reader->message(*id);
    if (!message) return reply_error(res, message.error());
    if (!*message) {
      return reply_error(res, ErrorCode::kNotFound, fmt::format("no message {}", *id));
    }
    reply(res, 200, message_json(**message));
  });
  server.Get(R"(/v1/messages/(\d{1,18})/tree)",
             [&c](const auto& req, auto& res) { get_tree(c, req, res, false); });
  server.Get(R"(/v1/steps/(\d{1,18})/tree)",
             [&c](const auto& req, auto& res) { get_tree(c, req, res, true); });
}

}  // namespace statefun::emulator::admin
