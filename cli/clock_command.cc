#include "cli/clock_command.h"

#include <fmt/format.h>

#include "cli/common.h"

namespace statefun::cli {
namespace {

struct ClockArgs {
  CommonOptions common;
  std::string duration;  // advance DURATION
  bool until_idle = false;
  std::string horizon;
  std::string time;  // set TIME
  std::string timeout = "10m";
};

int run_now(ClockArgs& args) {
  auto client = make_client(args.common);
  auto body = client->get("/v1/clock");
  if (!body) return report(body.error());
  if (args.common.want_json()) {
    print_json(*body);
    return kExitOk;
  }
  print(fmt::format("{}  ({} clock, {} timer{} pending)\n", (*body)["now"].get<std::string>(),
                    (*body)["mode"].get<std::string>(), (*body)["timers"].get<int64_t>(),
                    (*body)["timers"].get<int64_t>() == 1 ? "" : "s"));
  return kExitOk;
}

int print_advance(const ClockArgs& args, const Json& body) {
  if (args.common.want_json()) {
    print_json(body);
    return kExitOk;
  }
  const int64_t fired = body["timers_fired"].get<int64_t>();
  const int64_t steps = body["steps"].get<int64_t>();
  print(fmt::format("{} → {}: {} timer{} fired, {} step{}\n", body["from"].get<std::string>(),
                    body["to"].get<std::string>(), fired, fired == 1 ? "" : "s", steps,
                    steps == 1 ? "" : "s"));
  if (body["next_timer"].is_string()) {
    print(fmt::format("next timer due {}\n", body["next_timer"].get<std::string>()));
  }
  return kExitOk;
}

int post_and_print(ClockArgs& args, const std::string& path, const Json& request) {
  auto timeout = duration_arg("--timeout", args.timeout, kSecondsByDefault);
  if (!timeout) return report(timeout.error());
  auto client = make_client(args.common, *timeout);
  auto body = client->post(path, request);
  if (!body) return report(body.error());
  return print_advance(args, *body);
}

int run_advance(ClockArgs& args) {
  Json request = Json::object();
  if (args.until_idle) {
    if (!args.duration.empty()) {
      return report(ErrorCode::kInvalidArgument, "give either DURATION or --until-idle, not both");
    }
    request["until_idle"] = true;
    if (!args.horizon.empty()) {
      auto horizon = duration_arg("--horizon", args.horizon, kUnitRequired);
      if (!horizon) return report(horizon.error());
      request["horizon"] = horizon->count();
    }
  } else {
    if (args.duration.empty()) {
      return report(ErrorCode::kInvalidArgument, "give a DURATION (e.g. 30d) or --until-idle");
    }
    if (!args.horizon.empty()) {
      return report(ErrorCode::kInvalidArgument, "--horizon goes with --until-idle");
    }
    auto duration = duration_arg("DURATION", args.duration, kUnitRequired);
    if (!duration) return report(duration.error());
    request["duration"] = duration->count();
  }
  return post_and_print(args, "/v1/clock/advance", request);
}

int run_set(ClockArgs& args) {
  // Sent as written: the emulator reads it against its own (virtual) now,
  // so "now" and relative forms mean the application's time.
  return post_and_print(args, "/v1/clock/set", Json{{"time", args.time}});
}

void add_timeout(CLI::App* cmd, ClockArgs& args) {
  cmd->add_option("--timeout", args.timeout,
                  "Give up waiting after this long (the steps on the way go on), e.g. 30s")
      ->capture_default_str();
}

}  // namespace

void setup_clock_command(CLI::App& app, int& exit_code) {
  auto* clock = app.add_subcommand("clock", "Show or move the application's clock");
  clock->require_subcommand(1);
  clock->footer(
      "advance and set need `statefun dev --clock virtual`: time stands still until moved,\n"
      "and moving it fires every timer due on the way, in due order, each at its own time.\n"
      "Function processes keep their own wall clocks (the protocol carries no time).\n"
      "\nExamples:\n"
      "  statefun clock now\n"
      "  statefun clock advance 30d\n"
      "  statefun clock advance --until-idle --horizon 1h\n"
      "  statefun clock set 2027-01-01T00:00:00Z");
  {
    auto args = std::make_shared<ClockArgs>();
    auto* cmd = clock->add_subcommand("now", "Print the application's time and the clock mode");
    cmd->footer("Exit codes: 0 ok, 1 failure (no emulator running).");
    add_output_flags(cmd, args->common);
    add_admin_flags(cmd, args->common);
    cmd->callback([args, &exit_code] { exit_code = run_now(*args); });
  }
  {
    auto args = std::make_shared<ClockArgs>();
    auto* cmd = clock->add_subcommand(
        "advance", "Move the virtual clock forward, firing every timer due on the way");
    cmd->footer(
        "With --until-idle: follow timers as long as the next one is due within the horizon\n"
        "(default 1d) of the current virtual time; the clock stops at the last one fired.\n"
        "Answers once every step on the way is committed.\n"
        "\nExamples:\n  statefun clock advance 30d\n  statefun clock advance 1h30m --json\n"
        "  statefun clock advance --until-idle --horizon 10m\n"
        "\nExit codes: 0 ok, 1 failure (no virtual clock: status 409), 2 bad arguments, "
        "4 timed out.");
    cmd->add_option("duration", args->duration, "How far, e.g. 30d, 1h30m, 500ms");
    cmd->add_flag("--until-idle", args->until_idle,
                  "Follow timers until none is due within the horizon");
    cmd->add_option("--horizon", args->horizon,
                    "With --until-idle: how far ahead to look for the next timer (default 1d)")
        ->type_name("DURATION");
    add_timeout(cmd, *args);
    add_output_flags(cmd, args->common);
    add_admin_flags(cmd, args->common);
    cmd->callback([args, &exit_code] { exit_code = run_advance(*args); });
  }
  {
    auto args = std::make_shared<ClockArgs>();
    auto* cmd = clock->add_subcommand(
        "set", "Move the virtual clock forward to a time, firing every timer due on the way");
    cmd->footer(
        "TIME as docs/time.md reads it: 2027-01-01T00:00:00Z, 2027-01-01 09:00, ... Never\n"
        "backwards.\n"
        "\nExamples:\n  statefun clock set 2027-01-01T00:00:00Z\n"
        "\nExit codes: 0 ok, 1 failure (no virtual clock: status 409), 2 bad or earlier "
        "TIME, 4 timed out.");
    cmd->add_option("time", args->time, "The time to move to")->required();
    add_timeout(cmd, *args);
    add_output_flags(cmd, args->common);
    add_admin_flags(cmd, args->common);
    cmd->callback([args, &exit_code] { exit_code = run_set(*args); });
  }
}

}  // namespace statefun::cli
