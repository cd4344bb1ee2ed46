// The JSON shapes of state history, rewind, replay and snapshots
// (docs/admin-api.md, "Time travel"), and the read query behind history.
// The admin API serves them; the CLI builds the same documents from the
// database when no emulator runs, so both paths print the same thing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "emulator/admin/admin_json.h"
#include "runtime/engine/replay_simulator.h"
#include "runtime/engine/time_travel.h"
#include "runtime/store/snapshots.h"
#include "runtime/store/store_reader.h"

namespace statefun::emulator {

// One state change: {"version", "name", "step", "at", "at_ms", "cause",
// "caller", "deleted"} plus the value's fields (value_json), which are null
// for a deletion.
Json history_row_json(const HistoryRow& row);

// {"address", "name" (null: every state), "latest_version", "floor",
//  "history": [rows, oldest first]}. kNotFound when the address never
// changed state, or when `name` (if not empty) never appears in its history.
Result<Json> query_history(StoreReader& reader, const Address& address, const std::string& name);

// {"name", "before", "after"}: each a value document, or null for absent.
Json change_json(const time_travel::StateChange& change);
Json changes_json(const std::vector<time_travel::StateChange>& changes);

// {"address", "dry_run", "from_version", "to_version", "new_version",
//  "changed", "changes"}
Json rewind_json(const Address& address, const time_travel::RewindOutcome& outcome, bool dry_run);

// What a replay dry run would do: {"address", "dry_run": true,
// "from_version", "replayed", "requests", "changes", "state", "messages",
// "delayed", "egress"}.
Json simulation_json(const Address& address, int64_t from_version, const SimulationResult& result,
                     std::size_t replayed);

// "ingress", "function", "timer" or "admin": where a message came from.
const char* source_name(MessageSource source);

// {"target", "caller", "source", "accepted_at", "message": value}
Json inbox_message_json(const InboxMessage& message);

// {"name", "path", "automatic", "created_at", "created_at_ms",
//  "size_bytes", "last_step", "entities", "pending", "timers"}
Json snapshot_json(const SnapshotInfo& info);
// {"a", "b", "differences": [{"address", "name", "a", "b"}]}
Json snapshot_diff_json(const std::string& a, const std::string& b,
                        const std::vector<StateDifference>& differences);

}  // namespace statefun::emulator
