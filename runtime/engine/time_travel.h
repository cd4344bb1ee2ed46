// Per-entity state history arithmetic for rewind and replay: what an entity's
// state was at a version, which version a time or a step count points at, and
// the difference between two states. Pure functions over HistoryRow lists;
// the dispatcher applies the result as an edit (dispatcher.h, edit_address).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/engine/dispatcher.h"
#include "runtime/store/store.h"

namespace statefun::time_travel {

// Present values by state name.
using EntityState = std::map<std::string, TypedValue>;

// The state right after `version` (version 0: before the first change).
EntityState state_at(const std::vector<HistoryRow>& history, int64_t version);

// The newest version (0 when the entity never changed).
int64_t latest_version(const std::vector<HistoryRow>& history);

// The last version committed at or before `at_ms` (0 when none).
int64_t version_at_time(const std::vector<HistoryRow>& history, int64_t at_ms);

// The step that produced `version` (0 for version 0).
int64_t step_of_version(const std::vector<HistoryRow>& history, int64_t version);

struct StateChange {
  std::string name;
  std::optional<TypedValue> before;  // nullopt: absent
  std::optional<TypedValue> after;   // nullopt: absent
};

// What changes turn `from` into `to`, by state name.
std::vector<StateChange> diff(const EntityState& from, const EntityState& to);

enum class RewindBy { kVersion, kTime, kSteps };

struct RewindTarget {
  RewindBy by = RewindBy::kVersion;
  int64_t value = 0;  // a version, a time in ms since the epoch, or a number of versions back
};

struct RewindOutcome {
  int64_t from_version = 0;  // the entity's version before the rewind
  int64_t to_version = 0;    // the version whose values were written back
  int64_t new_version = 0;   // the version the rewind created (= from_version if no change)
  std::vector<StateChange> changes;
};

// Resolves a target against a history whose versions below `floor` were
// folded away by retention: kNotFound for a version the entity never had or
// that is gone (naming the valid range), kInvalidArgument for a negative count.
Result<int64_t> resolve(const std::vector<HistoryRow>& history, const RewindTarget& target,
                        int64_t floor = 0);

// An edit that writes the values of the target version back as a new
// version (so a rewind can itself be undone). With `dry_run` it only
// computes `outcome`. `outcome` is filled on the engine thread before the
// edit's completion callback runs.
AddressEditFn rewind_edit(RewindTarget target, bool dry_run,
                          std::shared_ptr<RewindOutcome> outcome);

struct ReplayOutcome {
  RewindOutcome rewind;
  std::vector<InboxMessage> redelivered;  // in their original order
};

// An edit that rewinds the entity to `from_version` and delivers again, in
// their original order, the messages it consumed after that version, to the
// function as it is now. Effects of the re-delivered messages (state,
// messages, egress) apply like any other message.
AddressEditFn replay_edit(int64_t from_version, std::shared_ptr<ReplayOutcome> outcome);

}  // namespace statefun::time_travel
