#include "runtime/engine/causal_tree.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <set>

namespace statefun {
namespace {

// The tree is built flat (breadth-first, nodes refer to children by index)
// and nested at the end: appending to a vector of nested nodes would move
// the nodes still waiting in the queue.
struct FlatNode {
  CausalNode node;  // without children
  std::vector<std::size_t> children;
};

CausalNode nest(std::vector<FlatNode>& flat, std::size_t at) {
  CausalNode node = std::move(flat[at].node);
  node.children.reserve(flat[at].children.size());
  for (std::size_t child : flat[at].children) node.children.push_back(nest(flat, child));
  return node;
}

}  // namespace

Result<CausalTree> build_causal_tree(StoreReader& reader, int64_t id, int64_t max_nodes) {
  if (max_nodes < 1) max_nodes = 1;
  auto root = reader.message(id);
  if (!root) return std::unexpected(root.error());
  if (!*root) {
    return make_error(ErrorCode::kNotFound,
                      fmt::format("no message {} (never accepted, or older than the retention "
                                  "window and pruned)",
                                  id));
  }
  CausalTree tree;
  std::vector<FlatNode> flat;
  flat.push_back({CausalNode{std::move(**root), std::nullopt, false, {}, {}, {}}, {}});
  std::set<int64_t> seen_steps;
  std::deque<std::size_t> queue{0};
  while (!queue.empty()) {
    const std::size_t at = queue.front();
    queue.pop_front();
    const auto consumed = flat[at].node.message.consumed_step;
    if (!consumed) {
      tree.pending.push_back(flat[at].node.message);
      continue;
    }
    if (!seen_steps.insert(*consumed).second) {
      flat[at].node.repeated_step = true;
      continue;
    }
    auto links = reader.step_links(*consumed);
    if (!links) return std::unexpected(links.error());
    flat[at].node.step = std::move(links->trace);
    flat[at].node.egress = std::move(links->egress);
    tree.timers += static_cast<int64_t>(links->timers.size());
    flat[at].node.timers = std::move(links->timers);
    for (auto& produced : links->produced) {
      if (static_cast<int64_t>(flat.size()) >= max_nodes) {
        tree.truncated = true;
        break;
      }
      flat[at].children.push_back(flat.size());
      queue.push_back(flat.size());
      flat.push_back({CausalNode{std::move(produced), std::nullopt, false, {}, {}, {}}, {}});
    }
  }
  tree.nodes = static_cast<int64_t>(flat.size());
  tree.steps = static_cast<int64_t>(seen_steps.size());
  std::sort(tree.pending.begin(), tree.pending.end(),
            [](const auto& a, const auto& b) { return a.message.seq < b.message.seq; });
  tree.root = nest(flat, 0);
  return tree;
}

Result<int64_t> causal_root(StoreReader& reader, int64_t id) {
  auto message = reader.message(id);
  if (!message) return std::unexpected(message.error());
  if (!*message) {
    return make_error(ErrorCode::kNotFound, fmt::format("no message {} (never accepted, or older "
                                                        "than the retention window and pruned)",
                                                        id));
  }
  int64_t at = id;
  int64_t cause = (*message)->message.cause_step;
  // Each hop goes to an older step, so the walk ends; the set guards a
  // database that says otherwise.
  std::set<int64_t> seen_steps;
  while (cause != 0 && seen_steps.insert(cause).second) {
    auto links = reader.step_links(cause);
    if (!links) return std::unexpected(links.error());
    if (links->consumed.empty()) break;  // pruned: the way up ends here
    at = links->consumed.front().message.seq;
    cause = links->consumed.front().message.cause_step;
  }
  return at;
}

Result<int64_t> first_message_of_step(StoreReader& reader, int64_t step) {
  auto links = reader.step_links(step);
  if (!links) return std::unexpected(links.error());
  if (links->consumed.empty()) {
    return make_error(ErrorCode::kNotFound,
                      links->trace ? fmt::format("step {} consumed no message (an admin edit or "
                                                 "an engine decision)",
                                                 step)
                                   : fmt::format("no step {} (never, or older than the "
                                                 "retention window and pruned)",
                                                 step));
  }
  return links->consumed.front().message.seq;
}

}  // namespace statefun
