#include "emulator/admin/time_travel_json.h"

#include <fmt/format.h>

#include <set>

#include "runtime/core/time_text.h"

namespace statefun::emulator {

namespace {

Json optional_value_json(const std::optional<TypedValue>& value) {
  return value ? value_json(*value) : Json(nullptr);
}

}  // namespace

const char* source_name(MessageSource source) {
  switch (source) {
    case MessageSource::kIngress:
      return "ingress";
    case MessageSource::kFunction:
      return "function";
    case MessageSource::kTimer:
      return "timer";
    case MessageSource::kAdmin:
      return "admin";
  }
  return "unknown";
}

Json history_row_json(const HistoryRow& row) {
  Json out = {{"version", row.version},
              {"name", row.name},
              {"step", row.step},
              {"at", utc_time_text(row.at_ms)},
              {"at_ms", row.at_ms},
              {"cause", row.cause_type},
              {"caller", row.cause_caller ? Json(*row.cause_caller) : Json(nullptr)},
              {"deleted", !row.value.has_value()}};
  if (row.value) {
    out.update(value_json(*row.value));
  } else {
    out.update(
        {{"typename", nullptr}, {"encoding", "none"}, {"value", nullptr}, {"base64", nullptr}});
  }
  return out;
}

Result<Json> query_history(StoreReader& reader, const Address& address, const std::string& name) {
  auto rows = reader.entity_history(address);
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) {
    return make_error(
        ErrorCode::kNotFound,
        fmt::format("{} has no state history (it never changed state)", address.str()));
  }
  auto floor = reader.history_floor(address);
  if (!floor) return std::unexpected(floor.error());
  Json list = Json::array();
  std::set<std::string> names;
  for (const auto& row : *rows) {
    names.insert(row.name);
    if (!name.empty() && row.name != name) continue;
    list.push_back(history_row_json(row));
  }
  if (list.empty()) {
    std::string known;
    for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
    return make_error(ErrorCode::kNotFound, fmt::format("{} has no state '{}' in its history "
                                                        "(its states: {})",
                                                        address.str(), name, known));
  }
  return Json{{"address", address.str()},
              {"name", name.empty() ? Json(nullptr) : Json(name)},
              {"latest_version", time_travel::latest_version(*rows)},
              {"floor", *floor},
              {"history", std::move(list)}};
}

Json change_json(const time_travel::StateChange& change) {
  return {{"name", change.name},
          {"before", optional_value_json(change.before)},
          {"after", optional_value_json(change.after)}};
}

Json changes_json(const std::vector<time_travel::StateChange>& changes) {
  Json list = Json::array();
  for (const auto& change : changes) list.push_back(change_json(change));
  return list;
}

Json rewind_json(const Address& address, const time_travel::RewindOutcome& outcome, bool dry_run) {
  return {{"address", address.str()},
          {"dry_run", dry_run},
          {"from_version", outcome.from_version},
          {"to_version", outcome.to_version},
          {"new_version", outcome.new_version},
          {"changed", !dry_run && outcome.new_version != outcome.from_version},
          {"changes", changes_json(outcome.changes)}};
}

Json simulation_json(const Address& address, int64_t from_version, const SimulationResult& result,
                     std::size_t replayed) {
  Json state = Json::object();
  for (const auto& [name, value] : result.final_state) state[name] = value_json(value);
  Json messages = Json::array();
  for (const auto& m : result.messages) {
    messages.push_back({{"target", m.target.str()}, {"message", value_json(m.argument)}});
  }
  Json delayed = Json::array();
  for (const auto& d : result.delayed) {
    delayed.push_back(
        {{"cancel", d.is_cancellation},
         {"token", d.cancellation_token.empty() ? Json(nullptr) : Json(d.cancellation_token)},
         {"delay_ms", d.delay_ms},
         {"target", d.is_cancellation ? Json(nullptr) : Json(d.target.str())},
         {"message", d.is_cancellation ? Json(nullptr) : value_json(d.argument)}});
  }
  Json egress = Json::array();
  for (const auto& e : result.egress) {
    egress.push_back({{"egress", e.egress_id()}, {"record", value_json(e.argument)}});
  }
  return {{"address", address.str()},      {"dry_run", true},
          {"from_version", from_version},  {"replayed", replayed},
          {"requests", result.requests},   {"changes", changes_json(result.changes)},
          {"state", std::move(state)},     {"messages", std::move(messages)},
          {"delayed", std::move(delayed)}, {"egress", std::move(egress)}};
}

Json inbox_message_json(const InboxMessage& message) {
  return {{"target", message.target.str()},
          {"caller", message.caller ? Json(message.caller->str()) : Json(nullptr)},
          {"source", source_name(message.source)},
          {"accepted_at", utc_time_text(message.accepted_at_ms)},
          {"message", value_json(message.argument)}};
}

Json snapshot_json(const SnapshotInfo& info) {
  return {{"name", info.name},
          {"path", info.path},
          {"automatic", info.automatic},
          {"created_at", utc_time_text(info.created_at_ms)},
          {"created_at_ms", info.created_at_ms},
          {"size_bytes", info.size_bytes},
          {"last_step", info.last_step},
          {"entities", info.entities},
          {"pending", info.pending},
          {"timers", info.timers}};
}

Json snapshot_diff_json(const std::string& a, const std::string& b,
                        const std::vector<StateDifference>& differences) {
  Json list = Json::array();
  for (const auto& d : differences) {
    list.push_back({{"address", d.address.str()},
                    {"name", d.name},
                    {"a", optional_value_json(d.a)},
                    {"b", optional_value_json(d.b)}});
  }
  return {{"a", a}, {"b", b}, {"differences", std::move(list)}};
}

}  // namespace statefun::emulator
