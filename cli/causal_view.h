// Causality for the commands: fetching the causal tree of a message (from a
// running emulator or, offline, from the state database) and printing it:
// as an indented tree (`trace --tree`, `send --wait --tree`), as the flat
// list of its steps (`send --wait`), and the payloads a step consumed,
// produced and wrote (`--payloads`). Documents: docs/admin-api.md,
// "Messages and their causal trees".
#pragma once

#include <string>

#include "cli/common.h"

namespace statefun::cli {

// The tree document of message `id` (GET /v1/messages/ID/tree).
Result<Json> fetch_tree(DataSource& source, int64_t id, int64_t max_nodes);
// The newest message sent through the admin API (`statefun send`) to this
// emulator or data directory; kNotFound when none was.
Result<int64_t> last_sent_id(DataSource& source);

struct CausalPrint {
  bool payloads = false;                       // show message values under each step
  const values::ProtoTypes* protos = nullptr;  // --proto, to decode protobuf values
};

// The tree, one line per message (its step line, or why it has none),
// egress records and pending delayed messages at the leaves.
std::string tree_text(const Json& tree, const Style& style, const CausalPrint& how);
// The steps of the tree in step order, then its egress records, then what
// is still pending.
std::string tree_steps_text(const Json& tree, const Style& style, const CausalPrint& how);
// {"steps": [...], "egress": [...]}: the tree's steps in step order and
// their egress records in offset order (what `send --wait -o json` printed
// before it knew causality, kept for scripts).
Json tree_steps_json(const Json& tree);
// Why the tree's pending messages wait, one block per failing address, as
// `statefun wait` names stuck addresses: "\n  ADDR (N messages, attempt
// A): REASON" and the lines its process printed during the call. Empty when
// none of them is failing.
std::string failing_text(const Json& tree);
// The lines `trace --payloads` prints under a step that has "consumed",
// "produced" and "egress_records" (emulator/admin/causal_json.h).
std::string step_payload_lines(const Json& step, const Style& style, const CausalPrint& how);

}  // namespace statefun::cli
