#include "cli/replay_command.h"

#include <fmt/format.h>

#include <chrono>

#include "cli/common.h"
#include "cli/time_travel_view.h"

namespace statefun::cli {
namespace {

struct ReplayArgs {
  CommonOptions common;
  std::string address;
  int64_t from = 0;
  bool dry_run = false;
  bool no_wait = false;
  std::string timeout = "60s";
};

std::string state_path(const Address& a) {
  return fmt::format("/v1/state/{}/{}/{}", url_encode(a.type.ns), url_encode(a.type.name),
                     url_encode(a.id));
}

void redecode_values(Json& doc, const values::ProtoTypes* protos) {
  if (doc.is_object() && doc.contains("base64")) {
    if (doc["base64"].is_string() && doc["typename"].is_string()) redecode(doc, protos);
    return;
  }
  if (doc.is_object() || doc.is_array()) {
    for (auto& item : doc) redecode_values(item, protos);
  }
}

int run_dry_run(ReplayArgs& args, AdminClient& client, const Json& request,
                const values::ProtoTypes* protos) {
  auto result = client.post("/v1/replay", request);
  if (!result) return report(result.error());
  redecode_values(*result, protos);
  if (args.common.want_json()) {
    print_json(*result);
  } else {
    print(simulation_text(*result, protos, Style::for_stdout(args.common.color)));
  }
  return kExitOk;
}

int run_replay(ReplayArgs& args) {
  auto address = address_arg(args.address);
  if (!address) return report(address.error());
  auto timeout = duration_arg("--timeout", args.timeout);
  if (!timeout) return report(timeout.error());
  auto protos = load_protos(args.common);
  if (!protos) return report(protos.error());
  auto client = make_client(args.common, *timeout + std::chrono::minutes(5));
  const Json request = {
      {"address", address->str()}, {"from", args.from}, {"dry_run", args.dry_run}};
  if (args.dry_run) return run_dry_run(args, *client, request, protos->get());

  auto result = client->post("/v1/replay", request);
  if (!result) return report(result.error());
  const Style style = Style::for_stdout(args.common.color);
  const int64_t replayed = result->value("replayed", int64_t{0});
  if (!args.common.want_json()) {
    print(
        fmt::format("{}: rewound to version {} and re-delivered {} message{} (version {} "
                    "before)\n",
                    style.bold(address->str()), result->value("to_version", int64_t{0}), replayed,
                    replayed == 1 ? "" : "s", result->value("from_version", int64_t{0})));
  }
  if (args.no_wait) {
    if (args.common.want_json()) print_json(*result);
    return kExitOk;
  }
  // Wait for the re-delivered messages (and anything else queued) to be processed.
  auto idle = client->get(fmt::format("/v1/wait?timeout_ms={}", timeout->count()));
  if (!idle) {
    if (args.common.want_json()) print_json(*result);
    return report(
        idle.error().code,
        "the replay is applied, but waiting for its messages failed: " + idle.error().message);
  }
  auto after = client->get(state_path(*address));
  if (!after) return report(after.error());
  Json changes = state_changes((*result)["before"], *after);
  if (args.common.want_json()) {
    (*result)["after"] = (*after)["states"];
    (*result)["changes_since_replay"] = changes;
    redecode_values(*result, protos->get());
    print_json(*result);
    return kExitOk;
  }
  redecode_values(changes, protos->get());
  print(changes.empty() ? "state: the same as before the replay\n"
                        : "state (before the replay → after it):\n" +
                              change_lines(changes, protos->get(), style));
  return kExitOk;
}

}  // namespace

void setup_replay_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ReplayArgs>();
  auto* cmd = app.add_subcommand(
      "replay", "Re-deliver what an entity received since a version (needs statefun dev)");
  cmd->footer(
      "Rewinds the entity to VERSION (as 'statefun rewind --to') and delivers again, in\n"
      "their original order and with their original callers, the messages it received\n"
      "since, to the function as it is NOW: fix a bug, restart the function, replay.\n"
      "What the function sends while replaying (messages, delayed messages, egress)\n"
      "is sent again. The command waits until the emulator is idle and prints how the\n"
      "state changed (--no-wait returns at once).\n"
      "--dry-run sends the messages to the function without committing anything and\n"
      "prints the state it would end with and everything it would send.\n"
      "\n"
      "Examples:\n"
      "  statefun replay example/person/Bob --from 0 --dry-run\n"
      "  statefun replay example/person/Bob --from 3\n"
      "\nExit codes: 0 ok, 1 failure (no emulator, the function failed), 2 bad address,\n"
      "3 unknown address or version (or messages removed by retention), 4 not idle in time.");
  cmd->add_option("address", args->address, "namespace/type/id")->required();
  cmd->add_option("--from", args->from, "The version to rewind to and replay from")
      ->type_name("VERSION")
      ->required()
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--dry-run", args->dry_run, "Call the function, commit nothing, print the result");
  cmd->add_flag("--no-wait", args->no_wait, "Do not wait for the re-delivered messages");
  cmd->add_option("--timeout", args->timeout, "How long to wait until idle (e.g. 30s, 2m)")
      ->type_name("DURATION")
      ->capture_default_str();
  add_output_flags(cmd, args->common);
  add_admin_flags(cmd, args->common);
  add_proto_flags(cmd, args->common);
  cmd->callback([args, &exit_code] { exit_code = run_replay(*args); });
}

}  // namespace statefun::cli
