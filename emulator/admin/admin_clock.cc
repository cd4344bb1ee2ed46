// Admin routes for the clock: GET /v1/clock says which clock runs and what
// time it is; under `statefun dev --clock virtual`, POST /v1/clock/advance
// and /v1/clock/set move the virtual clock (Dispatcher::advance_clock: one
// due timer at a time, every step at its own time) and answer once every
// step on the way is committed.
#include <fmt/format.h>

#include "emulator/admin/admin_routes.h"
#include "emulator/admin/listener.h"
#include "runtime/core/time_text.h"

namespace statefun::emulator::admin {
namespace {

// How far ahead `until_idle` looks for the next timer unless told.
constexpr auto kDefaultHorizon = std::chrono::hours(24);

Json advance_json(const ClockAdvance& a) {
  return {{"from", utc_time_text(a.from_ms)},
          {"to", utc_time_text(a.to_ms)},
          {"from_ms", a.from_ms},
          {"to_ms", a.to_ms},
          {"advanced_ms", a.to_ms - a.from_ms},
          {"timers_fired", a.timers_fired},
          {"steps", a.steps},
          {"next_timer", a.next_timer_ms ? Json(utc_time_text(*a.next_timer_ms)) : Json(nullptr)},
          {"next_timer_ms", a.next_timer_ms ? Json(*a.next_timer_ms) : Json(nullptr)}};
}

// A duration field: "30d", "1h30m" (a unit is required) or a number of ms.
Result<int64_t> duration_field(const Json& body, const char* key) {
  const auto& value = body[key];
  if (value.is_number_integer() && value.get<int64_t>() >= 0) return value.get<int64_t>();
  if (!value.is_string()) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("\"{}\" must be a duration such as \"30d\" or \"1h30m\"", key));
  }
  auto parsed = parse_duration(value.get<std::string>(), kUnitRequired);
  if (!parsed) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("\"{}\": {}", key, parsed.error().message));
  }
  return parsed->count();
}

void run_advance(Context& c, httplib::Response& res, int64_t target, bool until_idle,
                 int64_t horizon) {
  // It lasts as long as the application's steps take: held as a long
  // request, so other admin calls keep their workers.
  LongRequest long_request;
  if (!long_request.admitted()) return reply_too_many(res);
  auto result = await<Result<ClockAdvance>>(
      [&](auto done) { c.dispatcher.advance_clock(target, until_idle, horizon, std::move(done)); });
  if (!result) return reply_error(res, result.error());
  reply(res, 200, advance_json(*result));
}

// {"duration": D} moves the clock D forward; {"until_idle": true,
// "horizon": D} follows timers while the next is due within D.
void post_advance(Context& c, const httplib::Request& req, httplib::Response& res) {
  auto body = json_body(req);
  if (!body) return reply_error(res, body.error());
  const bool until_idle = body->value("until_idle", false);
  if (until_idle) {
    if (body->contains("duration")) {
      return reply_error(res, ErrorCode::kInvalidArgument,
                         "give either \"duration\" or \"until_idle\", not both");
    }
    int64_t horizon = std::chrono::milliseconds(kDefaultHorizon).count();
    if (body->contains("horizon")) {
      auto given = duration_field(*body, "horizon");
      if (!given) return reply_error(res, given.error());
      horizon = *given;
    }
    return run_advance(c, res, 0, true, horizon);
  }
  if (!body->contains("duration")) {
    return reply_error(res, ErrorCode::kInvalidArgument,
                       "give \"duration\" (e.g. \"30d\") or \"until_idle\": true");
  }
  auto duration = duration_field(*body, "duration");
  if (!duration) return reply_error(res, duration.error());
  run_advance(c, res, now_ms(c) + *duration, false, 0);
}

// {"time": T}: RFC 3339 (or any time docs/time.md reads) or ms since the
// epoch; never before the current virtual time.
void post_set(Context& c, const httplib::Request& req, httplib::Response& res) {
  auto body = json_body(req);
  if (!body) return reply_error(res, body.error());
  const auto& time = (*body)["time"];
  int64_t target = 0;
  if (time.is_number_integer()) {
    target = time.get<int64_t>();
  } else if (time.is_string()) {
    auto parsed = parse_time_point(time.get<std::string>(), now_ms(c));
    if (!parsed) {
      return reply_error(res, ErrorCode::kInvalidArgument, "\"time\": " + parsed.error().message);
    }
    target = *parsed;
  } else {
    return reply_error(res, ErrorCode::kInvalidArgument,
                       "\"time\" must be a time such as \"2027-01-01T00:00:00Z\" or ms since "
                       "the epoch");
  }
  run_advance(c, res, target, false, 0);
}

}  // namespace

void register_clock_routes(httplib::Server& server, Context& c) {
  server.Get("/v1/clock", [&c](const httplib::Request&, httplib::Response& res) {
    Json body = clock_json(c);
    body["timers"] = c.dispatcher.status().timers;
    reply(res, 200, body);
  });
  server.Post("/v1/clock/advance", [&c](const httplib::Request& req, httplib::Response& res) {
    post_advance(c, req, res);
  });
  server.Post("/v1/clock/set",
              [&c](const httplib::Request& req, httplib::Response& res) { post_set(c, req, res); });
}

}  // namespace statefun::emulator::admin
