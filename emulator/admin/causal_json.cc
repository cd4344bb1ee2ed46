#include "emulator/admin/causal_json.h"

#include "runtime/core/time_text.h"

namespace statefun::emulator {
namespace {

const char* source_name(MessageSource source) {
  switch (source) {
    case MessageSource::kIngress:
      return "ingress";
    case MessageSource::kFunction:
      return "function";
    case MessageSource::kTimer:
      return "delayed";
    case MessageSource::kAdmin:
      return "admin";
  }
  return "unknown";
}

Json egress_leaf_json(const EgressRecord& r) { return egress_json(EgressEntry{r, r.seq, false}); }

Json node_json(const CausalNode& node, int64_t now_ms) {
  Json egress = Json::array();
  for (const auto& r : node.egress) egress.push_back(egress_leaf_json(r));
  Json timers = Json::array();
  for (const auto& t : node.timers) timers.push_back(timer_json(t, now_ms));
  Json children = Json::array();
  for (const auto& child : node.children) children.push_back(node_json(child, now_ms));
  return {{"message", message_json(node.message)},
          {"step", node.step ? trace_json(*node.step) : Json(nullptr)},
          {"repeated_step", node.repeated_step},
          {"egress", std::move(egress)},
          {"timers", std::move(timers)},
          {"children", std::move(children)}};
}

}  // namespace

Json message_json(const StoredMessage& stored) {
  const auto& m = stored.message;
  return {{"id", m.seq},
          {"target", m.target.str()},
          {"caller", m.caller ? Json(m.caller->str()) : Json(nullptr)},
          {"source", source_name(m.source)},
          {"typename", m.argument.type_name},
          {"accepted_at", utc_time_text(m.accepted_at_ms)},
          {"accepted_at_ms", m.accepted_at_ms},
          {"cause_step", m.cause_step > 0 ? Json(m.cause_step) : Json(nullptr)},
          {"consumed_step", stored.consumed_step ? Json(*stored.consumed_step) : Json(nullptr)},
          {"value", value_json(m.argument)}};
}

Json causal_tree_json(const CausalTree& tree, int64_t now_ms) {
  Json pending = Json::array();
  for (const auto& m : tree.pending) pending.push_back(message_json(m));
  return {{"id", tree.root.message.message.seq},
          {"settled", tree.settled()},
          {"truncated", tree.truncated},
          {"nodes", tree.nodes},
          {"steps", tree.steps},
          {"timers", tree.timers},
          {"pending", std::move(pending)},
          {"root", node_json(tree.root, now_ms)}};
}

Result<Json> query_causal_tree(StoreReader& reader, int64_t id, int64_t max_nodes, int64_t now_ms) {
  auto tree = build_causal_tree(reader, id, max_nodes);
  if (!tree) return std::unexpected(tree.error());
  return causal_tree_json(*tree, now_ms);
}

Result<void> add_step_payloads(StoreReader& reader, Json& trace_document) {
  for (auto& step : trace_document["steps"]) {
    auto links = reader.step_links(step["step"].get<int64_t>());
    if (!links) return std::unexpected(links.error());
    Json consumed = Json::array();
    for (const auto& m : links->consumed) consumed.push_back(message_json(m));
    Json produced = Json::array();
    for (const auto& m : links->produced) produced.push_back(message_json(m));
    Json egress = Json::array();
    for (const auto& r : links->egress) egress.push_back(egress_leaf_json(r));
    step["consumed"] = std::move(consumed);
    step["produced"] = std::move(produced);
    step["egress_records"] = std::move(egress);
  }
  return {};
}

Result<Json> query_last_sent(StoreReader& reader) {
  auto last = reader.last_admin_message();
  if (!last) return std::unexpected(last.error());
  if (!*last) {
    return make_error(ErrorCode::kNotFound,
                      "no message was sent with `statefun send` (or the admin API) to this "
                      "data directory yet");
  }
  return Json{{"id", **last}};
}

}  // namespace statefun::emulator
