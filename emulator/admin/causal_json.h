// The JSON of causality (docs/admin-api.md, "Messages and their causal
// trees"): one message, the causal tree of one message, and the payloads of
// steps for `trace --payloads`. Like admin_json.h, shared by the admin API
// and the offline CLI, so both print the same documents.
#pragma once

#include "emulator/admin/admin_json.h"
#include "runtime/engine/causal_tree.h"

namespace statefun::emulator {

// {"id", "target", "caller", "source", "typename", "accepted_at(_ms)",
//  "cause_step", "consumed_step", "value": value_json}
Json message_json(const StoredMessage& message);

// {"id", "settled", "truncated", "nodes", "steps", "timers",
//  "pending": [message_json...], "root": node}; a node is
// {"message", "step": trace_json|null, "repeated_step", "egress": [...],
//  "timers": [timer_json...], "children": [node...]}.
Json causal_tree_json(const CausalTree& tree, int64_t now_ms);

// build_causal_tree + causal_tree_json.
Result<Json> query_causal_tree(StoreReader& reader, int64_t id, int64_t max_nodes, int64_t now_ms);

// Adds to each step of a query_trace document what it consumed ("consumed":
// the batch's messages), produced ("produced": messages it sent) and wrote
// ("egress_records"), each with its value.
Result<void> add_step_payloads(StoreReader& reader, Json& trace_document);

// The id of the newest message sent through the admin API, as
// {"id": N} (kNotFound when none was).
Result<Json> query_last_sent(StoreReader& reader);

}  // namespace statefun::emulator
