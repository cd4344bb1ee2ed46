#include "cli/history_command.h"

#include <fmt/format.h>

#include "cli/common.h"
#include "cli/time_travel_view.h"
#include "emulator/admin/time_travel_json.h"

namespace statefun::cli {
namespace {

struct HistoryArgs {
  CommonOptions common;
  std::string address;
  std::string name;
};

int run_history(HistoryArgs& args) {
  auto address = address_arg(args.address);
  if (!address) return report(address.error());
  auto protos = load_protos(args.common);
  if (!protos) return report(protos.error());
  auto source = DataSource::open(args.common);
  if (!source) return report(source.error());
  Result<Json> body;
  if ((*source)->offline()) {
    body = emulator::query_history(*(*source)->reader(), *address, args.name);
  } else {
    std::string path = fmt::format("/v1/history/{}/{}/{}", url_encode(address->type.ns),
                                   url_encode(address->type.name), url_encode(address->id));
    if (!args.name.empty()) path += "/" + url_encode(args.name);
    body = (*source)->admin()->get(path);
  }
  if (!body) return report(body.error());
  if (args.common.want_json()) {
    for (auto& row : (*body)["history"]) {
      if (!row.value("deleted", false)) redecode(row, protos->get());
    }
    print_json(*body);
    return kExitOk;
  }
  print(history_table(*body, protos->get(), Style::for_stdout(args.common.color)));
  return kExitOk;
}

}  // namespace

void setup_history_command(CLI::App& state, int& exit_code) {
  auto args = std::make_shared<HistoryArgs>();
  auto* cmd = state.add_subcommand("history", "Every version of an address's state");
  cmd->footer(
      "One row per state change, oldest first: the version (it counts the steps that\n"
      "changed the entity), the step, its time, the message type that caused it and\n"
      "its sender, and the value written (decoded as in 'state get'). Rewinds, replays\n"
      "and 'state set|rm' appear as statefun/rewind, statefun/replay, statefun/state-set.\n"
      "Reads the database directly (read-only) when no emulator runs.\n"
      "\n"
      "Examples:\n"
      "  statefun state history example/person/Bob\n"
      "  statefun state history example/person/Bob visits --json\n"
      "\nExit codes: 0 ok, 1 failure, 2 bad address, 3 no history (or no such state).");
  cmd->add_option("address", args->address, "namespace/type/id")->required();
  cmd->add_option("name", args->name, "Only this state");
  add_output_flags(cmd, args->common);
  add_admin_flags(cmd, args->common);
  add_offline_flags(cmd, args->common);
  add_proto_flags(cmd, args->common);
  cmd->callback([args, &exit_code] { exit_code = run_history(*args); });
}

}  // namespace statefun::cli
