// Admin routes that go back in time on one entity: its state history,
// rewind (old values written back as a new version, so a rewind can itself
// be undone) and replay (rewind, then deliver again what the entity
// received since, to the function as it is now). Rewind and replay are
// dispatcher edits: one step of their own between two steps of the address.
// A replay dry run calls the function with the past messages and commits
// nothing.
#include <fmt/format.h>

#include "emulator/admin/admin_routes.h"
#include "emulator/admin/time_travel_json.h"
#include "runtime/core/time_text.h"
#include "runtime/engine/replay_simulator.h"
#include "runtime/engine/time_travel.h"

namespace statefun::emulator::admin {
namespace {

constexpr const char* kHistory = R"(/v1/history/([^/]+)/([^/]+)/([^/]+))";
constexpr const char* kHistoryName = R"(/v1/history/([^/]+)/([^/]+)/([^/]+)/([^/]+))";

void get_history(Context& c, const httplib::Request& req, httplib::Response& res) {
  const Address address = address_from(req, 1);
  const std::string name = req.matches.size() > 4 ? req.matches[4].str() : "";
  auto body = query_history(*c.reader, address, name);
  body ? reply(res, 200, *body) : reply_error(res, body.error());
}

Result<Address> address_field(const Json& body) {
  auto it = body.find("address");
  const std::string text = it != body.end() && it->is_string() ? it->get<std::string>() : "";
  auto address = parse_address(text);
  if (!address) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("\"address\" '{}' is not namespace/type/id", text));
  }
  return *address;
}

Result<int64_t> count_field(const Json& body, const char* key, const char* what) {
  const auto& value = body.at(key);
  if (!value.is_number_integer() || value.get<int64_t>() < 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("\"{}\" must be {} (a whole number >= 0)", key, what));
  }
  return value.get<int64_t>();
}

Result<bool> dry_run_field(const Json& body) {
  auto it = body.find("dry_run");
  if (it == body.end() || it->is_null()) return false;
  if (!it->is_boolean()) {
    return make_error(ErrorCode::kInvalidArgument, "\"dry_run\" must be true or false");
  }
  return it->get<bool>();
}

// Exactly one of "to" (a version), "at" (ms since the epoch, or a time as
// text) and "steps" (versions back from the newest).
Result<time_travel::RewindTarget> rewind_target(const Context& c, const Json& body) {
  using time_travel::RewindBy;
  const int given = body.contains("to") + body.contains("at") + body.contains("steps");
  if (given != 1) {
    return make_error(ErrorCode::kInvalidArgument,
                      "give exactly one of \"to\" (a version), \"at\" (a time) or \"steps\" "
                      "(versions back)");
  }
  if (body.contains("to")) {
    auto version = count_field(body, "to", "a version");
    if (!version) return std::unexpected(version.error());
    return time_travel::RewindTarget{RewindBy::kVersion, *version};
  }
  if (body.contains("steps")) {
    auto steps = count_field(body, "steps", "a number of versions");
    if (!steps) return std::unexpected(steps.error());
    return time_travel::RewindTarget{RewindBy::kSteps, *steps};
  }
  const auto& at = body["at"];
  if (at.is_number_integer()) return time_travel::RewindTarget{RewindBy::kTime, at.get<int64_t>()};
  if (!at.is_string()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "\"at\" must be ms since the epoch or a time such as "
                      "\"2025-11-24T21:58:00Z\"");
  }
  auto ms = parse_time_point(at.get<std::string>(), now_ms(c));
  if (!ms) return std::unexpected(ms.error());
  return time_travel::RewindTarget{RewindBy::kTime, *ms};
}

// An address that never changed state is unknown here, not "nothing to do".
Result<void> require_history(AddressEdit& edit) {
  auto history = edit.history();
  if (!history) return std::unexpected(history.error());
  if (history->empty()) {
    return make_error(
        ErrorCode::kNotFound,
        fmt::format("{} has no state history (it never changed state)", edit.address().str()));
  }
  return {};
}

void post_rewind(Context& c, const httplib::Request& req, httplib::Response& res) {
  auto body = json_body(req);
  if (!body) return reply_error(res, body.error());
  auto address = address_field(*body);
  if (!address) return reply_error(res, address.error());
  auto target = rewind_target(c, *body);
  if (!target) return reply_error(res, target.error());
  auto dry_run = dry_run_field(*body);
  if (!dry_run) return reply_error(res, dry_run.error());

  auto outcome = std::make_shared<time_travel::RewindOutcome>();
  auto rewind = time_travel::rewind_edit(*target, *dry_run, outcome);
  auto result = await<Result<void>>([&](auto done) {
    c.dispatcher.edit_address(
        *address, "statefun/rewind",
        [rewind](AddressEdit& edit) -> Result<void> {
          if (auto r = require_history(edit); !r) return r;
          return rewind(edit);
        },
        std::move(done));
  });
  if (!result) return reply_error(res, result.error());
  reply(res, 200, rewind_json(*address, *outcome, *dry_run));
}

time_travel::EntityState entity_state(const std::vector<StoredState>& rows) {
  time_travel::EntityState state;
  for (const auto& row : rows) state[row.name] = TypedValue{row.type_name, true, row.value};
  return state;
}

Json state_object(const time_travel::EntityState& state) {
  Json out = Json::object();
  for (const auto& [name, value] : state) out[name] = value_json(value);
  return out;
}

void replay(Context& c, const Address& address, int64_t from, httplib::Response& res) {
  auto outcome = std::make_shared<time_travel::ReplayOutcome>();
  auto before = std::make_shared<time_travel::EntityState>();
  auto edit_fn = time_travel::replay_edit(from, outcome);
  auto result = await<Result<void>>([&](auto done) {
    c.dispatcher.edit_address(
        address, "statefun/replay",
        [edit_fn, before](AddressEdit& edit) -> Result<void> {
          if (auto r = require_history(edit); !r) return r;
          auto states = edit.states();
          if (!states) return std::unexpected(states.error());
          *before = entity_state(*states);
          return edit_fn(edit);
        },
        std::move(done));
  });
  if (!result) return reply_error(res, result.error());
  Json body = rewind_json(address, outcome->rewind, false);
  body["changed"] = body["changed"].get<bool>() || !outcome->redelivered.empty();
  body["replayed"] = outcome->redelivered.size();
  Json redelivered = Json::array();
  for (const auto& m : outcome->redelivered) redelivered.push_back(inbox_message_json(m));
  body["redelivered"] = std::move(redelivered);
  body["before"] = state_object(*before);
  reply(res, 200, body);
}

// What a dry run replays, read from the committed database as the edit
// would see it.
Result<SimulationInput> replay_input(Context& c, const Address& address, int64_t from) {
  auto& reader = *c.reader;
  auto history = reader.entity_history(address);
  if (!history) return std::unexpected(history.error());
  if (history->empty()) {
    return make_error(
        ErrorCode::kNotFound,
        fmt::format("{} has no state history (it never changed state)", address.str()));
  }
  auto floor = reader.history_floor(address);
  if (!floor) return std::unexpected(floor.error());
  auto version = time_travel::resolve(*history, {time_travel::RewindBy::kVersion, from}, *floor);
  if (!version) return std::unexpected(version.error());
  const int64_t after_step = time_travel::step_of_version(*history, *version);
  auto pruned = reader.pruned_through_step();
  if (!pruned) return std::unexpected(pruned.error());
  if (after_step < *pruned) {
    return make_error(ErrorCode::kNotFound,
                      fmt::format("cannot replay from version {}: messages received before step "
                                  "{} were removed by retention",
                                  *version, *pruned));
  }
  auto current = reader.states(address, now_ms(c));
  if (!current) return std::unexpected(current.error());
  auto received = reader.received(address, after_step);
  if (!received) return std::unexpected(received.error());
  std::optional<FunctionRoute> route;
  if (c.hooks.route) route = c.hooks.route(address.type);
  if (!route) {
    return make_error(ErrorCode::kFailedPrecondition,
                      fmt::format("no endpoint of module.yaml serves {}", address.type.str()));
  }
  SimulationInput input;
  input.address = address;
  input.route = *route;
  input.start = time_travel::state_at(*history, *version);
  input.current = entity_state(*current);
  for (auto& m : *received) input.invocations.push_back({m.caller, std::move(m.argument)});
  // The timers the real replay would find pending: the original run's are
  // still there (a rewind does not cancel them).
  auto timers = reader.timers(std::nullopt);
  if (!timers) return std::unexpected(timers.error());
  for (const auto& timer : *timers) {
    if (timer.sender.id == address.id && !timer.token.empty()) {
      input.pending_tokens.insert(timer.token);
    }
  }
  input.route_egress = c.hooks.route_egress;
  return input;
}

void replay_dry_run(Context& c, const Address& address, int64_t from, httplib::Response& res) {
  if (!c.hooks.client || !c.hooks.route_egress) {
    return reply_error(res, ErrorCode::kUnavailable, "replay dry runs are not available here");
  }
  auto input = replay_input(c, address, from);
  if (!input) return reply_error(res, input.error());
  auto result = simulate_replay(*c.hooks.client, *input);
  if (!result) return reply_error(res, result.error());
  reply(res, 200, simulation_json(address, from, *result, input->invocations.size()));
}

void post_replay(Context& c, const httplib::Request& req, httplib::Response& res) {
  auto body = json_body(req);
  if (!body) return reply_error(res, body.error());
  auto address = address_field(*body);
  if (!address) return reply_error(res, address.error());
  if (!body->contains("from")) {
    return reply_error(res, ErrorCode::kInvalidArgument,
                       "\"from\" (the version to replay from) is required");
  }
  auto from = count_field(*body, "from", "a version");
  if (!from) return reply_error(res, from.error());
  auto dry_run = dry_run_field(*body);
  if (!dry_run) return reply_error(res, dry_run.error());
  *dry_run ? replay_dry_run(c, *address, *from, res) : replay(c, *address, *from, res);
}

}  // namespace

void register_time_travel_routes(httplib::Server& server, Context& c) {
  server.Get(kHistory, [&c](const auto& req, auto& res) { get_history(c, req, res); });
  server.Get(kHistoryName, [&c](const auto& req, auto& res) { get_history(c, req, res); });
  server.Post("/v1/rewind", [&c](const auto& req, auto& res) { post_rewind(c, req, res); });
  server.Post("/v1/replay", [&c](const auto& req, auto& res) { post_replay(c, req, res); });
}

}  // namespace statefun::emulator::admin
