#include "cli/dead_letters_command.h"

#include <fmt/format.h>

#include "cli/common.h"
#include "cli/inbox_command.h"

namespace statefun::cli {
namespace {

struct DeadLetterArgs {
  CommonOptions common;
  std::string address;
  int64_t id = 0;
};

int run_ls(DeadLetterArgs& args) {
  std::optional<Address> address;
  if (!args.address.empty()) {
    auto parsed = address_arg(args.address);
    if (!parsed) return report(parsed.error());
    address = *parsed;
  }
  auto protos = load_protos(args.common);
  if (!protos) return report(protos.error());
  auto source = DataSource::open(args.common);
  if (!source) return report(source.error());
  auto body = (*source)->dead_letters(address);
  if (!body) return report(body.error());
  for (auto& d : (*body)["dead_letters"]) redecode(d["message"], protos->get());
  if (args.common.want_json()) {
    print_json(*body);
    return kExitOk;
  }
  const Style style = Style::for_stdout(args.common.color);
  Table table({"ID", "TARGET", "DEAD SINCE", "ATTEMPTS", "MESSAGE", "CAUSE", "LAST FAILURE"});
  for (const auto& d : (*body)["dead_letters"]) {
    table.add({std::to_string(d["id"].get<int64_t>()), style.bold(d["target"].get<std::string>()),
               clock_time(d["dead_at_ms"].get<int64_t>()), std::to_string(d["attempts"].get<int>()),
               d["message"]["typename"].get<std::string>() + " " +
                   value_cell(d["message"], protos->get(), 30),
               d["cause"].get<std::string>(), failure_cell(d, 60)});
  }
  print(table.empty() ? style.dim("no dead letters\n") : table.render(style));
  return kExitOk;
}

int run_show(DeadLetterArgs& args) {
  auto protos = load_protos(args.common);
  if (!protos) return report(protos.error());
  auto source = DataSource::open(args.common);
  if (!source) return report(source.error());
  auto body = (*source)->dead_letter(args.id);
  if (!body) return report(body.error());
  redecode((*body)["message"], protos->get());
  if (args.common.want_json()) {
    print_json(*body);
    return kExitOk;
  }
  const Json& d = *body;
  const Style style = Style::for_stdout(args.common.color);
  auto text_or = [](const Json& v, const char* none) {
    return v.is_string() ? v.get<std::string>() : std::string(none);
  };
  std::string out;
  out += fmt::format("{}      {}\n", style.bold("id"), d["id"].get<int64_t>());
  out += fmt::format("{}  {}\n", style.bold("target"), d["target"].get<std::string>());
  out += fmt::format("{}  {}\n", style.bold("caller"), text_or(d["caller"], "- (ingress)"));
  out += fmt::format("{}  {}\n", style.bold("source"), d["source"].get<std::string>());
  out +=
      fmt::format("{}    {} {}\n", style.bold("type"), d["message"]["typename"].get<std::string>(),
                  value_cell(d["message"], protos->get(), 200));
  out +=
      fmt::format("{}    {} (step {}): {}\n", style.bold("dead"), d["dead_at"].get<std::string>(),
                  d["step"].get<int64_t>(), d["cause"].get<std::string>());
  out += fmt::format("{}  {}", style.bold("failed"), d["attempts"].get<int>());
  if (d["attempts"].get<int>() > 0) {
    out += fmt::format(" times, {} to {}", text_or(d["first_failed_at"], "?"),
                       text_or(d["last_failed_at"], "?"));
  }
  out += "\n";
  if (d["last_failure"].is_object()) {
    const auto& f = d["last_failure"];
    out += fmt::format("{}  {}\n", style.bold("reason"), f["reason"].get<std::string>());
    const std::string excerpt = f.value("body", std::string());
    if (!excerpt.empty()) out += fmt::format("{}\n{}\n", style.bold("body"), excerpt);
  }
  print(out);
  return kExitOk;
}

int run_op(DeadLetterArgs& args, bool replay) {
  auto client = make_client(args.common);
  auto body = replay
                  ? client->post(fmt::format("/v1/dead-letters/{}/replay", args.id), Json::object())
                  : client->del(fmt::format("/v1/dead-letters/{}", args.id));
  if (!body) return report(body.error());
  if (args.common.want_json()) {
    print_json(*body);
    return kExitOk;
  }
  print(replay ? fmt::format("replayed dead letter {}: back in the inbox as message {}\n", args.id,
                             (*body)["message_id"].get<int64_t>())
               : fmt::format("dropped dead letter {}\n", args.id));
  return kExitOk;
}

}  // namespace

void setup_dead_letters_command(CLI::App& app, int& exit_code) {
  auto* dead = app.add_subcommand("dead-letters",
                                  "List, show, replay and drop messages taken out of the inbox");
  dead->require_subcommand(1);
  dead->footer(
      "A message becomes a dead letter when its retry policy runs out (statefun.yaml `retry:`,\n"
      "`statefun dev --retry-max-attempts N`) or by `statefun inbox drop`.\n"
      "\nExamples:\n"
      "  statefun dead-letters ls\n"
      "  statefun dead-letters show 42\n"
      "  statefun dead-letters replay 42\n"
      "  statefun dead-letters drop 42");
  {
    auto args = std::make_shared<DeadLetterArgs>();
    auto* cmd = dead->add_subcommand("ls", "List dead letters, oldest first");
    cmd->footer(
        "Works offline (reads the database) when no emulator runs.\n"
        "\nExamples:\n  statefun dead-letters ls\n  statefun dead-letters ls example/person/Bob "
        "--json\n"
        "\nExit codes: 0 ok, 1 failure, 2 bad address.");
    cmd->add_option("address", args->address, "Only dead letters for this namespace/type/id");
    add_output_flags(cmd, args->common);
    add_admin_flags(cmd, args->common);
    add_offline_flags(cmd, args->common);
    add_proto_flags(cmd, args->common);
    cmd->callback([args, &exit_code] { exit_code = run_ls(*args); });
  }
  {
    auto args = std::make_shared<DeadLetterArgs>();
    auto* cmd = dead->add_subcommand("show", "One dead letter: message, attempts, last failure");
    cmd->footer(
        "Works offline (reads the database) when no emulator runs.\n"
        "\nExamples:\n  statefun dead-letters show 42\n  statefun dead-letters show 42 --json\n"
        "\nExit codes: 0 ok, 1 failure, 3 no such dead letter.");
    cmd->add_option("id", args->id, "Dead letter id (see dead-letters ls)")->required();
    add_output_flags(cmd, args->common);
    add_admin_flags(cmd, args->common);
    add_offline_flags(cmd, args->common);
    add_proto_flags(cmd, args->common);
    cmd->callback([args, &exit_code] { exit_code = run_show(*args); });
  }
  for (const bool replay : {true, false}) {
    auto args = std::make_shared<DeadLetterArgs>();
    auto* cmd = replay ? dead->add_subcommand(
                             "replay", "Put a dead letter back into the inbox as a new message")
                       : dead->add_subcommand("drop", "Delete a dead letter for good");
    cmd->footer(
        fmt::format("Needs a running statefun dev. A step of its own, in the trace.\n"
                    "\nExamples:\n  statefun dead-letters {} 42\n"
                    "\nExit codes: 0 ok, 1 failure, 3 no such dead letter.",
                    replay ? "replay" : "drop"));
    cmd->add_option("id", args->id, "Dead letter id (see dead-letters ls)")->required();
    add_output_flags(cmd, args->common);
    add_admin_flags(cmd, args->common);
    cmd->callback([args, replay, &exit_code] { exit_code = run_op(*args, replay); });
  }
}

}  // namespace statefun::cli
