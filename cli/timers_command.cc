#include "cli/timers_command.h"

#include <fmt/format.h>

#include <chrono>

#include "cli/common.h"

namespace statefun::cli {
namespace {

struct TimersArgs {
  CommonOptions common;
  std::string address;
  int64_t id = 0;
  std::string token;
  std::string sender;
  CLI::Option* id_option = nullptr;
};

int run_ls(TimersArgs& args) {
  std::optional<Address> target;
  if (!args.address.empty()) {
    auto parsed = address_arg(args.address);
    if (!parsed) return report(parsed.error());
    target = *parsed;
  }
  auto protos = load_protos(args.common);
  if (!protos) return report(protos.error());
  auto source = DataSource::open(args.common);
  if (!source) return report(source.error());
  auto body = (*source)->timers(target);
  if (!body) return report(body.error());
  for (auto& timer : (*body)["timers"]) redecode(timer["message"], protos->get());
  if (args.common.want_json()) {
    print_json(*body);
    return kExitOk;
  }
  const Style style = Style::for_stdout(args.common.color);
  Table table({"ID", "DUE", "TARGET", "SENDER", "TOKEN", "MESSAGE"});
  for (const auto& t : (*body)["timers"]) {
    // due_in_ms: against the application's time, a virtual clock's too.
    const int64_t due = t["due_at_ms"].get<int64_t>();
    table.add(
        {std::to_string(t["id"].get<int64_t>()),
         clock_time(due) + " " + style.dim("(" + relative_ms(t["due_in_ms"].get<int64_t>()) + ")"),
         style.bold(t["target"].get<std::string>()), t["sender"].get<std::string>(),
         t["token"].is_string() ? t["token"].get<std::string>() : "-",
         t["message"]["typename"].get<std::string>() + " " +
             value_cell(t["message"], protos->get(), 40)});
  }
  print(table.empty() ? style.dim("no pending timers\n") : table.render(style));
  return kExitOk;
}

int print_result(const TimersArgs& args, const Json& body, const char* verb) {
  if (args.common.want_json()) {
    print_json(body);
    return kExitOk;
  }
  std::string ids;
  for (const auto& id : body[verb]) ids += " " + std::to_string(id.get<int64_t>());
  print(fmt::format("{} timer{}{}\n", verb, body[verb].size() == 1 ? "" : "s", ids));
  return kExitOk;
}

int run_cancel(TimersArgs& args) {
  const bool by_id = args.id_option->count() > 0;
  if (by_id == !args.token.empty()) {
    return report(ErrorCode::kInvalidArgument, "give either a timer ID or --token T");
  }
  if (!args.sender.empty()) {
    if (auto parsed = address_arg(args.sender); !parsed) return report(parsed.error());
  }
  auto client = make_client(args.common);
  std::string path =
      by_id ? fmt::format("/v1/timers/{}", args.id) : "/v1/timers?token=" + url_encode(args.token);
  if (!by_id && !args.sender.empty()) path += "&sender=" + url_encode(args.sender);
  auto body = client->del(path);
  if (!body) return report(body.error());
  return print_result(args, *body, "cancelled");
}

int run_fire(TimersArgs& args) {
  auto client = make_client(args.common);
  auto body = client->post(fmt::format("/v1/timers/{}/fire", args.id), Json::object());
  if (!body) return report(body.error());
  return print_result(args, *body, "fired");
}

}  // namespace

void setup_timers_command(CLI::App& app, int& exit_code) {
  auto* timers = app.add_subcommand("timers", "List, cancel and fire delayed messages");
  timers->require_subcommand(1);
  timers->footer(
      "Examples:\n"
      "  statefun timers ls\n"
      "  statefun timers ls example/reminder/Bob --json\n"
      "  statefun timers cancel 12\n"
      "  statefun timers cancel --token reminder-Bob\n"
      "  statefun timers fire 12");
  {
    auto args = std::make_shared<TimersArgs>();
    auto* cmd = timers->add_subcommand("ls", "List pending timers, soonest first");
    cmd->footer(
        "Works offline (reads the database) when no emulator runs.\n"
        "\nExamples:\n  statefun timers ls\n  statefun timers ls example/reminder/Bob --json\n"
        "\nExit codes: 0 ok, 1 failure, 2 bad address.");
    cmd->add_option("address", args->address, "Only timers for this target namespace/type/id");
    add_output_flags(cmd, args->common);
    add_admin_flags(cmd, args->common);
    add_offline_flags(cmd, args->common);
    add_proto_flags(cmd, args->common);
    cmd->callback([args, &exit_code] { exit_code = run_ls(*args); });
  }
  {
    auto args = std::make_shared<TimersArgs>();
    auto* cmd = timers->add_subcommand("cancel", "Cancel a timer by id, or all with a token");
    cmd->footer(
        "Needs a running statefun dev.\n"
        "\nExamples:\n  statefun timers cancel 12\n  statefun timers cancel --token t1\n"
        "  statefun timers cancel --token t1 --sender example/reminder/Bob\n"
        "\nExit codes: 0 ok, 1 failure, 2 bad arguments, 3 no such timer.");
    args->id_option = cmd->add_option("id", args->id, "Timer id (see timers ls)");
    cmd->add_option("--token", args->token, "Cancel every timer with this cancellation token");
    cmd->add_option("--sender", args->sender,
                    "With --token: only timers scheduled by this namespace/type/id");
    add_output_flags(cmd, args->common);
    add_admin_flags(cmd, args->common);
    cmd->callback([args, &exit_code] { exit_code = run_cancel(*args); });
  }
  {
    auto args = std::make_shared<TimersArgs>();
    auto* cmd = timers->add_subcommand("fire", "Deliver a timer's message now");
    cmd->footer(
        "Needs a running statefun dev.\n"
        "\nExamples:\n  statefun timers fire 12\n"
        "\nExit codes: 0 ok, 1 failure, 3 no such timer.");
    cmd->add_option("id", args->id, "Timer id (see timers ls)")->required();
    add_output_flags(cmd, args->common);
    add_admin_flags(cmd, args->common);
    cmd->callback([args, &exit_code] { exit_code = run_fire(*args); });
  }
}

}  // namespace statefun::cli
