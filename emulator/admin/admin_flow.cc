// GET /v1/flow: the message flow graph of the newest messages and egress
// records (StoreReader::flow), as nodes and edges for the console's flow
// page. Node ids keep the kinds apart: "fn:<ns/type>", "ingress", "admin",
// "egress:<topic>", "?" (a sender retention forgot).
#include <fmt/format.h>

#include <map>

#include "emulator/admin/admin_routes.h"
#include "runtime/core/time_text.h"

namespace statefun::emulator::admin {
namespace {

constexpr int64_t kMaxWindow = 1000000;

const char* kind_name(FlowEdge::Kind kind) {
  switch (kind) {
    case FlowEdge::Kind::kMessage:
      return "message";
    case FlowEdge::Kind::kDelayed:
      return "delayed";
    case FlowEdge::Kind::kEgress:
      return "egress";
  }
  return "message";
}

struct Node {
  std::string kind;
  std::string label;
  int64_t in = 0;
  int64_t out = 0;
};

std::string sender_node(const std::string& from) {
  return from == "ingress" || from == "admin" || from == "?" ? from : "fn:" + from;
}

Json flow_json(const FlowSummary& flow, int64_t window) {
  std::map<std::string, Node> nodes;
  auto node = [&](const std::string& id, const std::string& label) -> Node& {
    auto& n = nodes[id];
    if (n.kind.empty()) {
      n.label = label;
      n.kind = id.starts_with("fn:")       ? "function"
               : id.starts_with("egress:") ? "egress"
               : id == "?"                 ? "unknown"
                                           : id;
    }
    return n;
  };
  Json edges = Json::array();
  for (const auto& e : flow.edges) {
    const std::string from = sender_node(e.from);
    const std::string to = e.kind == FlowEdge::Kind::kEgress ? "egress:" + e.to : sender_node(e.to);
    node(from, e.from).out += e.count;
    node(to, e.to).in += e.count;
    edges.push_back({{"kind", kind_name(e.kind)},
                     {"from", from},
                     {"to", to},
                     {"count", e.count},
                     {"last_at", utc_time_text(e.last_at_ms)},
                     {"last_at_ms", e.last_at_ms},
                     {"recent", e.recent}});
  }
  Json node_list = Json::array();
  for (const auto& [id, n] : nodes) {
    node_list.push_back(
        {{"id", id}, {"kind", n.kind}, {"label", n.label}, {"in", n.in}, {"out", n.out}});
  }
  return {{"window", window},
          {"messages", flow.messages},
          {"egress_records", flow.egress_records},
          {"since", flow.since_ms ? Json(utc_time_text(flow.since_ms)) : Json(nullptr)},
          {"since_ms", flow.since_ms ? Json(flow.since_ms) : Json(nullptr)},
          {"nodes", std::move(node_list)},
          {"edges", std::move(edges)}};
}

}  // namespace

void register_flow_routes(httplib::Server& server, Context& c) {
  server.Get("/v1/flow", [&c](const httplib::Request& req, httplib::Response& res) {
    auto window = int_param(req, "window", FlowQuery{}.window);
    if (!window) return reply_error(res, window.error());
    if (*window < 1 || *window > kMaxWindow) {
      return reply_error(res, ErrorCode::kInvalidArgument,
                         fmt::format("window must be between 1 and {}", kMaxWindow));
    }
    auto flow = c.reader->flow(FlowQuery{.window = *window});
    if (!flow) return reply_error(res, flow.error());
    reply(res, 200, flow_json(*flow, *window));
  });
}

}  // namespace statefun::emulator::admin
