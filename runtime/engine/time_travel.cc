#include "runtime/engine/time_travel.h"

#include <fmt/format.h>

#include <algorithm>

namespace statefun::time_travel {

Result<int64_t> resolve_unbounded(const std::vector<HistoryRow>& history,
                                  const RewindTarget& target);

EntityState state_at(const std::vector<HistoryRow>& history, int64_t version) {
  EntityState state;
  for (const auto& row : history) {  // oldest first: later rows overwrite
    if (row.version > version) break;
    if (row.value) {
      state[row.name] = *row.value;
    } else {
      state.erase(row.name);
    }
  }
  return state;
}

int64_t latest_version(const std::vector<HistoryRow>& history) {
  return history.empty() ? 0 : history.back().version;
}

int64_t version_at_time(const std::vector<HistoryRow>& history, int64_t at_ms) {
  int64_t version = 0;
  for (const auto& row : history) {
    if (row.at_ms > at_ms) break;
    version = row.version;
  }
  return version;
}

int64_t step_of_version(const std::vector<HistoryRow>& history, int64_t version) {
  for (const auto& row : history) {
    if (row.version == version) return row.step;
  }
  return 0;
}

std::vector<StateChange> diff(const EntityState& from, const EntityState& to) {
  std::vector<StateChange> changes;
  for (const auto& [name, value] : from) {
    auto it = to.find(name);
    if (it == to.end()) {
      changes.push_back({name, value, std::nullopt});
    } else if (!(it->second == value)) {
      changes.push_back({name, value, it->second});
    }
  }
  for (const auto& [name, value] : to) {
    if (!from.contains(name)) changes.push_back({name, std::nullopt, value});
  }
  std::sort(changes.begin(), changes.end(),
            [](const StateChange& a, const StateChange& b) { return a.name < b.name; });
  return changes;
}

Result<int64_t> resolve(const std::vector<HistoryRow>& history, const RewindTarget& target,
                        int64_t floor) {
  auto version = resolve_unbounded(history, target);
  if (version && *version < floor) {
    return make_error(ErrorCode::kNotFound,
                      fmt::format("version {} is older than the history kept by retention "
                                  "(versions {}..{} remain)",
                                  *version, floor, latest_version(history)));
  }
  return version;
}

Result<int64_t> resolve_unbounded(const std::vector<HistoryRow>& history,
                                  const RewindTarget& target) {
  const int64_t latest = latest_version(history);
  switch (target.by) {
    case RewindBy::kVersion:
      if (target.value < 0 || target.value > latest) {
        return make_error(
            ErrorCode::kNotFound,
            fmt::format("no version {}: the entity has versions 0..{}", target.value, latest));
      }
      return target.value;
    case RewindBy::kTime:
      return version_at_time(history, target.value);
    case RewindBy::kSteps:
      if (target.value < 0) {
        return make_error(ErrorCode::kInvalidArgument, "the number of steps must not be negative");
      }
      if (target.value > latest) {
        return make_error(ErrorCode::kNotFound,
                          fmt::format("cannot go back {} versions: the entity has only {}",
                                      target.value, latest));
      }
      return latest - target.value;
  }
  return make_error(ErrorCode::kInvalidArgument, "unknown rewind target");
}

AddressEditFn rewind_edit(RewindTarget target, bool dry_run,
                          std::shared_ptr<RewindOutcome> outcome) {
  return [target, dry_run, outcome](AddressEdit& edit) -> Result<void> {
    auto history = edit.history();
    if (!history) return std::unexpected(history.error());
    auto floor = edit.history_floor();
    if (!floor) return std::unexpected(floor.error());
    auto version = resolve(*history, target, *floor);
    if (!version) return std::unexpected(version.error());
    auto current_rows = edit.states();
    if (!current_rows) return std::unexpected(current_rows.error());
    // Compare with what is stored now (expired values count as absent).
    EntityState current;
    for (const auto& row : *current_rows) {
      current[row.name] = TypedValue{row.type_name, true, row.value};
    }
    outcome->from_version = latest_version(*history);
    outcome->to_version = *version;
    outcome->new_version = outcome->from_version;
    outcome->changes = diff(current, state_at(*history, *version));
    if (dry_run || outcome->changes.empty()) return {};
    for (const auto& change : outcome->changes) {
      auto r = change.after ? edit.write(change.name, *change.after) : edit.remove(change.name);
      if (!r) return r;
    }
    outcome->new_version = outcome->from_version + 1;
    return {};
  };
}

AddressEditFn replay_edit(int64_t from_version, std::shared_ptr<ReplayOutcome> outcome) {
  auto rewind_outcome = std::make_shared<RewindOutcome>();
  auto rewind = rewind_edit({RewindBy::kVersion, from_version}, false, rewind_outcome);
  return [from_version, outcome, rewind_outcome, rewind](AddressEdit& edit) -> Result<void> {
    auto history = edit.history();
    if (!history) return std::unexpected(history.error());
    const int64_t after_step = step_of_version(*history, from_version);
    auto pruned = edit.pruned_through_step();
    if (!pruned) return std::unexpected(pruned.error());
    if (after_step < *pruned) {
      return make_error(ErrorCode::kNotFound,
                        fmt::format("cannot replay from version {}: messages received before step "
                                    "{} were removed by retention",
                                    from_version, *pruned));
    }
    if (auto r = rewind(edit); !r) return r;
    auto received = edit.received_since(after_step);
    if (!received) return std::unexpected(received.error());
    outcome->rewind = *rewind_outcome;
    outcome->redelivered = *received;
    edit.redeliver(std::move(*received));
    return {};
  };
}

}  // namespace statefun::time_travel
