#include "cli/wait_command.h"

#include <fmt/format.h>

#include "cli/common.h"

namespace statefun::cli {
namespace {

struct WaitArgs {
  CommonOptions common;
  std::string timeout = "60s";
};

int run_wait(WaitArgs& args) {
  auto timeout = duration_arg("--timeout", args.timeout);
  if (!timeout) return report(timeout.error());
  // The server holds the request until idle; allow it that long plus slack.
  auto client = make_client(args.common, *timeout + std::chrono::seconds(10));
  auto status = client->get(fmt::format("/v1/wait?timeout_ms={}", timeout->count()));
  if (!status) return report(status.error());
  if (args.common.want_json()) {
    print_json(*status);
    return kExitOk;
  }
  const Style style = Style::for_stdout(args.common.color);
  print(fmt::format(
      "{} ({} steps so far, {} timer(s) pending{})\n", style.green("idle"),
      (*status)["steps"].get<int64_t>(), (*status)["timers"].get<int64_t>(),
      (*status)["unroutable"].get<int64_t>()
          ? fmt::format(", {} unroutable message(s)", (*status)["unroutable"].get<int64_t>())
          : ""));
  return kExitOk;
}

}  // namespace

void setup_wait_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<WaitArgs>();
  auto* cmd = app.add_subcommand("wait", "Block until no message is pending or in flight");
  cmd->footer(
      "Idle means: no routable message queued or in flight, and every step so far\n"
      "committed. Not waited for: pending timers (delayed messages), and messages for\n"
      "function types no endpoint serves (\"unroutable\": they would never settle).\n"
      "A function that keeps failing is never idle: wait then times out.\n"
      "\n"
      "Examples:\n"
      "  statefun wait\n"
      "  statefun wait --timeout 2m\n"
      "  statefun send example/person/Bob -t example/GreetRequest '{\"name\":\"Bob\"}' && statefun "
      "wait\n"
      "\nExit codes: 0 idle, 1 failure (no emulator), 2 bad --timeout, 4 timed out.");
  cmd->add_option("--timeout", args->timeout,
                  "Give up after this long (e.g. 30s, 2m, 1h30m; a bare number is seconds)")
      ->type_name("DURATION")
      ->capture_default_str();
  add_output_flags(cmd, args->common);
  add_admin_flags(cmd, args->common);
  cmd->callback([args, &exit_code] { exit_code = run_wait(*args); });
}

}  // namespace statefun::cli
