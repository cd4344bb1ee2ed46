#include "cli/rewind_command.h"

#include <fmt/format.h>

#include <chrono>

#include "cli/common.h"
#include "cli/time_travel_view.h"

namespace statefun::cli {
namespace {

struct RewindArgs {
  CommonOptions common;
  std::string address;
  std::optional<int64_t> to;
  std::string at;
  std::optional<int64_t> steps;
  bool dry_run = false;
};

// The request body's target: exactly one of --to, --at, --steps.
Result<Json> target_json(const RewindArgs& args) {
  const int given = args.to.has_value() + !args.at.empty() + args.steps.has_value();
  if (given != 1) {
    return make_error(ErrorCode::kInvalidArgument,
                      "give exactly one of --to VERSION, --at TIME or --steps N");
  }
  if (args.to) return Json{{"to", *args.to}};
  if (args.steps) return Json{{"steps", *args.steps}};
  // A bare number is refused as ambiguous (seconds back? a version? an hour?).
  auto at = time_arg("--at", args.at, DurationRules{});
  if (!at) return std::unexpected(at.error());
  return Json{{"at", *at}};
}

int run_rewind(RewindArgs& args) {
  auto address = address_arg(args.address);
  if (!address) return report(address.error());
  auto body = target_json(args);
  if (!body) return report(body.error());
  auto protos = load_protos(args.common);
  if (!protos) return report(protos.error());
  (*body)["address"] = address->str();
  (*body)["dry_run"] = args.dry_run;
  auto client = make_client(args.common, std::chrono::minutes(5));
  auto result = client->post("/v1/rewind", *body);
  if (!result) return report(result.error());
  if (args.common.want_json()) {
    for (auto& change : (*result)["changes"]) {
      for (const char* side : {"before", "after"}) redecode(change[side], protos->get());
    }
    print_json(*result);
  } else {
    print(rewind_text(*result, protos->get(), Style::for_stdout(args.common.color)));
  }
  return kExitOk;
}

}  // namespace

void setup_rewind_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<RewindArgs>();
  auto* cmd = app.add_subcommand("rewind", "Write an entity's old state back (needs statefun dev)");
  cmd->footer(
      "The values of the chosen version are written back as a NEW version, so a rewind\n"
      "can itself be undone (rewind to the version before it). It runs between two\n"
      "steps of the address, after its in-flight request, as a step of its own\n"
      "(statefun/rewind), so messages may keep flowing: each still applies once.\n"
      "Versions are those of 'statefun state history'. --at takes RFC 3339\n"
      "(2025-11-24T21:58:00Z), a local time (2025-11-24 21:58:00, 21:58) or a\n"
      "duration back from now (5m, 2h, 1d): the last version at or before it.\n"
      "\n"
      "Examples:\n"
      "  statefun rewind example/person/Bob --to 2\n"
      "  statefun rewind example/person/Bob --steps 1 --dry-run\n"
      "  statefun rewind example/person/Bob --at 10m\n"
      "\nExit codes: 0 ok (also when nothing changes), 1 failure (no emulator), 2 bad\n"
      "address or target, 3 unknown address or version.");
  cmd->add_option("address", args->address, "namespace/type/id")->required();
  cmd->add_option("--to", args->to, "The version whose values to write back")
      ->type_name("VERSION")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--at", args->at, "The last version at or before this time")->type_name("TIME");
  cmd->add_option("--steps", args->steps, "Go back this many versions")
      ->type_name("N")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--dry-run", args->dry_run, "Print the difference, write nothing");
  add_output_flags(cmd, args->common);
  add_admin_flags(cmd, args->common);
  add_proto_flags(cmd, args->common);
  cmd->callback([args, &exit_code] { exit_code = run_rewind(*args); });
}

}  // namespace statefun::cli
