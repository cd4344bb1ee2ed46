// How state history, rewind, replay and snapshots read in a terminal. The
// input is always the JSON document of the admin API
// (emulator/time_travel_json.h), so online and offline output agree.
// Values are decoded like `state get` does (value_cell).
#pragma once

#include <cstdint>
#include <string>

#include "cli/common.h"

namespace statefun::cli {

// VERSION STEP TIME CAUSE SENDER NAME VALUE, one row per state change,
// oldest first; a deletion reads "(deleted)". A note follows when
// retention folded older versions.
std::string history_table(const Json& history, const values::ProtoTypes* protos,
                          const Style& style);

// One line per change, names aligned: "  count  5 → 2"; an absent value
// reads "(absent)". Empty for no changes.
std::string change_lines(const Json& changes, const values::ProtoTypes* protos, const Style& style);

// The answer of POST /v1/rewind: a summary line, then the changes.
std::string rewind_text(const Json& rewind, const values::ProtoTypes* protos, const Style& style);

// The answer of a replay dry run: what would change and what the function
// would send (messages, delayed messages, egress).
std::string simulation_text(const Json& simulation, const values::ProtoTypes* protos,
                            const Style& style);

// The changes between two states given as {name: value document} (before)
// and a state listing {"states": [...]} (after), for `replay` once idle.
Json state_changes(const Json& before, const Json& after_states);

// NAME CREATED SIZE STEP ENTITIES PENDING TIMERS for {"snapshots": [...]}.
std::string snapshot_table(const Json& list, const Style& style);
// ADDRESS NAME <a> <b> for a snapshot diff.
std::string snapshot_diff_table(const Json& diff, const values::ProtoTypes* protos,
                                const Style& style);
// "created snapshot NAME: 3 entities, 0 pending, 1 timer, 48.0 KiB (PATH)".
std::string snapshot_line(const char* verb, const Json& snapshot);

// "restored snapshot NAME into the running emulator: 3 entities, ..." for
// the answer of a restore.
std::string restore_line(const Json& restored, bool online);

// "512 B", "48.0 KiB", "3.2 MiB".
std::string size_text(int64_t bytes);

}  // namespace statefun::cli
