#include "cli/causal_view.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "emulator/admin/causal_json.h"
#include "runtime/core/clock.h"

namespace statefun::cli {
namespace {

constexpr std::size_t kValueWidth = 200;

std::string value_text(const Json& message, const CausalPrint& how) {
  return value_cell(message["value"], how.protos, kValueWidth);
}

// "example/greeter/Bob example/GreetRequest (message 13)"
std::string message_label(const Json& message, const Style& style) {
  return fmt::format("{} {} {}", style.bold(message.value("target", std::string())),
                     message.value("typename", std::string()),
                     style.dim(fmt::format("(message {})", message.value("id", int64_t{0}))));
}

std::string pending_line(const Json& message, const Style& style) {
  return fmt::format("{} {}", style.yellow("pending"), message_label(message, style));
}

std::string timer_line(const Json& timer, const Style& style) {
  return fmt::format("{} {} {} {}", style.cyan("⏲ delayed"),
                     style.bold(timer.value("target", std::string())),
                     timer["message"].value("typename", std::string()),
                     style.dim("due " + relative_ms(timer.value("due_in_ms", int64_t{0}))));
}

// The node's own line: its step, or why it has none.
std::string node_line(const Json& node, const Style& style) {
  const Json& message = node["message"];
  if (node["step"].is_object()) return step_line(node["step"], style);
  if (node.value("repeated_step", false)) {
    return style.dim(fmt::format("{} batched into step #{} above", message_label(message, style),
                                 message.value("consumed_step", int64_t{0})));
  }
  if (message["consumed_step"].is_number()) {
    return style.dim(fmt::format("{} consumed by step #{} (its trace was pruned)",
                                 message_label(message, style),
                                 message["consumed_step"].get<int64_t>()));
  }
  return pending_line(message, style);
}

void render(const Json& node, const std::string& indent, const Style& style, const CausalPrint& how,
            std::string& out) {
  const Json& message = node["message"];
  if (how.payloads) {
    const std::string from = message["caller"].is_string() ? message["caller"].get<std::string>()
                                                           : message.value("source", std::string());
    out += indent + style.dim(fmt::format("← {}: ", from)) + value_text(message, how) + "\n";
  }
  // Leaves first (what the step wrote), then the messages it sent.
  std::vector<std::string> leaves;
  for (const auto& record : node["egress"]) {
    leaves.push_back(style.cyan("⇥ ") + egress_line(record, style, true));
  }
  for (const auto& timer : node["timers"]) leaves.push_back(timer_line(timer, style));
  const auto& children = node["children"];
  const std::size_t count = leaves.size() + children.size();
  std::size_t i = 0;
  for (const auto& leaf : leaves) {
    const bool last = ++i == count;
    out += indent + (last ? "└─ " : "├─ ") + leaf + "\n";
  }
  for (const auto& child : children) {
    const bool last = ++i == count;
    out += indent + (last ? "└─ " : "├─ ") + node_line(child, style) + "\n";
    render(child, indent + (last ? "   " : "│  "), style, how, out);
  }
}

void collect(const Json& node, std::map<int64_t, const Json*>& steps,
             std::vector<const Json*>& egress) {
  if (node["step"].is_object()) {
    steps.emplace(node["step"].value("step", int64_t{0}), &node);
    for (const auto& record : node["egress"]) egress.push_back(&record);
  }
  for (const auto& child : node["children"]) collect(child, steps, egress);
}

void sort_by_offset(std::vector<const Json*>& records) {
  std::sort(records.begin(), records.end(), [](const Json* a, const Json* b) {
    return a->value("offset", int64_t{0}) < b->value("offset", int64_t{0});
  });
}

std::string summary_line(const Json& tree, const Style& style) {
  std::string out;
  if (tree.value("truncated", false)) {
    out += style.yellow(fmt::format("(cut at {} messages: --max-nodes shows more)\n",
                                    tree.value("nodes", int64_t{0})));
  }
  return out;
}

}  // namespace

Result<Json> fetch_tree(DataSource& source, int64_t id, int64_t max_nodes) {
  if (!source.offline()) {
    return source.admin()->get(fmt::format("/v1/messages/{}/tree?max_nodes={}", id, max_nodes));
  }
  return emulator::query_causal_tree(*source.reader(), id, max_nodes,
                                     application_now_ms(*source.reader()));
}

Result<int64_t> last_sent_id(DataSource& source) {
  auto body = source.offline() ? emulator::query_last_sent(*source.reader())
                               : source.admin()->get("/v1/messages/last");
  if (!body) return std::unexpected(body.error());
  return (*body)["id"].get<int64_t>();
}

std::string tree_text(const Json& tree, const Style& style, const CausalPrint& how) {
  const Json& root = tree["root"];
  std::string out = node_line(root, style) + "\n";
  render(root, "", style, how, out);
  return out + summary_line(tree, style);
}

Json tree_steps_json(const Json& tree) {
  std::map<int64_t, const Json*> steps;
  std::vector<const Json*> egress;
  collect(tree["root"], steps, egress);
  sort_by_offset(egress);
  Json out = {{"steps", Json::array()}, {"egress", Json::array()}};
  for (const auto& [id, node] : steps) out["steps"].push_back((*node)["step"]);
  for (const Json* record : egress) out["egress"].push_back(*record);
  return out;
}

std::string tree_steps_text(const Json& tree, const Style& style, const CausalPrint& how) {
  std::map<int64_t, const Json*> steps;
  std::vector<const Json*> egress;
  collect(tree["root"], steps, egress);
  std::string out;
  for (const auto& [id, node] : steps) {
    out += step_line((*node)["step"], style) + "\n";
    if (how.payloads) {
      const Json& message = (*node)["message"];
      out += "    " + style.dim(fmt::format("message {}: ", message.value("id", int64_t{0}))) +
             value_text(message, how) + "\n";
    }
  }
  sort_by_offset(egress);
  for (const Json* record : egress) {
    out += style.cyan("egress ") + egress_line(*record, style, true) + "\n";
  }
  for (const auto& message : tree["pending"]) out += pending_line(message, style) + "\n";
  if (out.empty()) out = "(no steps)\n";
  return out + summary_line(tree, style);
}

std::string failing_text(const Json& tree) {
  std::string text;
  std::set<std::string> shown;
  for (const auto& message : tree.value("pending", Json::array())) {
    const auto& f = message.value("failure", Json());
    const std::string address = message.value("target", std::string());
    if (!f.is_object() || !shown.insert(address).second) continue;
    const int64_t messages = f.value("messages", int64_t{0});
    text += fmt::format("\n  {} ({} message{}, attempt {}): {}", address, messages,
                        messages == 1 ? "" : "s", f.value("attempt", 0),
                        f.value("reason", std::string()));
    const auto output = f.value("output", Json::array());
    if (!output.empty()) {
      text += fmt::format("\n    [{}] printed during the call:", f.value("process", std::string()));
      for (const auto& line : output) text += "\n    | " + line.value("line", std::string());
    } else if (const std::string body = f.value("body", std::string()); !body.empty()) {
      text += "\n    response body: " + body.substr(0, body.find('\n'));
    }
  }
  return text;
}

std::string step_payload_lines(const Json& step, const Style& style, const CausalPrint& how) {
  std::string out;
  for (const auto& message : step.value("consumed", Json::array())) {
    const std::string from = message["caller"].is_string() ? message["caller"].get<std::string>()
                                                           : message.value("source", std::string());
    out += "    " + style.dim(fmt::format("← {} (message {}): ", from, message.value("id", 0))) +
           value_text(message, how) + "\n";
  }
  for (const auto& message : step.value("produced", Json::array())) {
    out += "    " +
           style.dim(fmt::format("→ {} (message {}): ", message.value("target", std::string()),
                                 message.value("id", 0))) +
           value_text(message, how) + "\n";
  }
  for (const auto& record : step.value("egress_records", Json::array())) {
    out += "    " + style.cyan("⇥ ") + egress_line(record, style, true) + "\n";
  }
  return out;
}

}  // namespace statefun::cli
