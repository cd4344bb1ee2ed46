// The causal tree of one message: the step that consumed it, the messages
// that step sent (delayed ones once they fired), the steps that consumed
// those, and so on, with egress records and still-pending delayed messages
// at the leaves. Built from what the store records (runtime/README.md:
// inbox.cause_step, inbox.consumed_step, timers.cause_step, egress.step),
// so it survives restarts and can be rebuilt at any time from committed data.
//
// A step answers a whole batch, so everything a step produced belongs to
// every message of its batch: a message batched with one of another tree
// brings that step's effects into both trees. A step reached twice within
// one tree (two of its messages were batched together) is expanded once;
// the second node says so (`repeated_step`).
//
// Deterministic: breadth-first, children in id order, so a node limit cuts
// the deepest, newest nodes first. Pure reads; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "runtime/core/result.h"
#include "runtime/store/store_reader.h"

namespace statefun {

struct CausalNode {
  StoredMessage message;
  // The step that consumed the message; nullopt while it is pending (or
  // when retention pruned the step's trace row).
  std::optional<TraceRecord> step;
  bool repeated_step = false;        // `step` is expanded at an earlier node
  std::vector<EgressRecord> egress;  // the step's egress records (leaves)
  std::vector<TimerRecord> timers;   // its delayed messages not yet fired (leaves)
  std::vector<CausalNode> children;  // the messages it sent, in id order
};

struct CausalTree {
  CausalNode root;
  int64_t nodes = 0;       // messages in the tree
  bool truncated = false;  // the node limit cut it: more messages exist
  // Messages of the tree no step consumed yet, in id order.
  std::vector<StoredMessage> pending;
  int64_t timers = 0;  // delayed messages of the tree not yet fired
  int64_t steps = 0;   // distinct steps in the tree
  // Nothing of the tree waits to be consumed (pending timers aside: they
  // may be due in an hour).
  bool settled() const { return pending.empty(); }
};

// Builds the tree of message `id` with at most `max_nodes` messages (>= 1).
// kNotFound when there is no such message (never sent, or pruned).
Result<CausalTree> build_causal_tree(StoreReader& reader, int64_t id, int64_t max_nodes);

// The message from outside (ingress, admin, a topic) whose tree holds
// message `id`: up through the step that sent each message to the first
// message of that step's batch, until a message no step sent. `id` itself
// when it came from outside; the highest message reached when retention
// pruned the rest of the way (a tree from there is still the truth about
// what it caused). kNotFound for an unknown `id`.
Result<int64_t> causal_root(StoreReader& reader, int64_t id);

// The first message of step `step`'s batch, to start causal_root from a
// step. kNotFound when the step consumed no message (an admin edit or an
// engine decision) or is unknown.
Result<int64_t> first_message_of_step(StoreReader& reader, int64_t step);

}  // namespace statefun
