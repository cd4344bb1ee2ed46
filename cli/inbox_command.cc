#include "cli/inbox_command.h"

#include <fmt/format.h>

#include <chrono>

#include "cli/common.h"
#include "runtime/core/clock.h"

namespace statefun::cli {
namespace {

struct InboxArgs {
  CommonOptions common;
  std::string address;
  bool failing = false;
  int limit = 1000;
  int64_t id = 0;
  CLI::Option* id_option = nullptr;
};

std::string when(const Json& ms, const Style& style, int64_t now) {
  if (!ms.is_number()) return "-";
  const int64_t at = ms.get<int64_t>();
  return clock_time(at) + " " + style.dim("(" + relative_ms(at - now) + ")");
}

int run_ls(InboxArgs& args) {
  PendingQuery query;
  if (!args.address.empty()) {
    auto parsed = address_arg(args.address);
    if (!parsed) return report(parsed.error());
    query.address = *parsed;
  }
  query.failing = args.failing;
  query.limit = args.limit;
  auto protos = load_protos(args.common);
  if (!protos) return report(protos.error());
  auto source = DataSource::open(args.common);
  if (!source) return report(source.error());
  auto body = (*source)->pending(query);
  if (!body) return report(body.error());
  for (auto& m : (*body)["messages"]) redecode(m["message"], protos->get());
  if (args.common.want_json()) {
    print_json(*body);
    return kExitOk;
  }
  const Style style = Style::for_stdout(args.common.color);
  const int64_t now = SystemClock().now_ms();
  Table table(
      {"ID", "TARGET", "ATTEMPTS", "FIRST FAILED", "LAST FAILED", "MESSAGE", "LAST FAILURE"});
  for (const auto& m : (*body)["messages"]) {
    const int attempts = m["attempts"].get<int>();
    table.add({std::to_string(m["id"].get<int64_t>()), style.bold(m["target"].get<std::string>()),
               attempts ? style.red(std::to_string(attempts)) : "0",
               when(m["first_failed_at_ms"], style, now), when(m["last_failed_at_ms"], style, now),
               m["message"]["typename"].get<std::string>() + " " +
                   value_cell(m["message"], protos->get(), 30),
               failure_cell(m, 80)});
  }
  if (table.empty()) {
    print(style.dim(args.failing ? "no failing messages\n" : "no pending messages\n"));
  } else {
    print(table.render(style));
  }
  return kExitOk;
}

int run_op(InboxArgs& args, bool drop) {
  const bool by_id = args.id_option->count() > 0;
  if (by_id == !args.address.empty()) {
    return report(ErrorCode::kInvalidArgument, "give either a message ID or --address A");
  }
  if (!by_id) {
    if (auto parsed = address_arg(args.address); !parsed) return report(parsed.error());
  }
  auto client = make_client(args.common);
  const std::string verb = drop ? "dropped" : "retried";
  Result<Json> body;
  if (drop) {
    body = client->del(by_id ? fmt::format("/v1/inbox/{}", args.id)
                             : "/v1/inbox?address=" + url_encode(args.address));
  } else {
    body = client->post(by_id ? fmt::format("/v1/inbox/{}/retry", args.id)
                              : "/v1/inbox/retry?address=" + url_encode(args.address),
                        Json::object());
  }
  if (!body) return report(body.error());
  if (args.common.want_json()) {
    print_json(*body);
    return kExitOk;
  }
  const int64_t n = (*body)[verb].get<int64_t>();
  print(fmt::format("{} {} message{}{}\n", verb, n, n == 1 ? "" : "s",
                    drop ? " (kept in the dead letters: statefun dead-letters ls)" : ""));
  return kExitOk;
}

}  // namespace

std::string failure_cell(const Json& message, std::size_t max) {
  const auto& failure = message["last_failure"];
  if (!failure.is_object()) return "-";
  std::string text = failure["reason"].get<std::string>();
  const std::string body = failure.value("body", std::string());
  if (!body.empty() && text.find(body) == std::string::npos) text += " — " + body;
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (text.size() > max) text = text.substr(0, max - 3) + "...";
  return text;
}

void setup_inbox_command(CLI::App& app, int& exit_code) {
  auto* inbox = app.add_subcommand("inbox", "List, drop and retry pending messages");
  inbox->require_subcommand(1);
  inbox->footer(
      "Examples:\n"
      "  statefun inbox ls --failing\n"
      "  statefun inbox ls example/person/Bob --json\n"
      "  statefun inbox retry --address example/person/Bob\n"
      "  statefun inbox drop 42");
  {
    auto args = std::make_shared<InboxArgs>();
    auto* cmd = inbox->add_subcommand(
        "ls", "List pending messages with their failed attempts and last failure");
    cmd->footer(
        "Works offline (reads the database) when no emulator runs.\n"
        "\nExamples:\n  statefun inbox ls\n  statefun inbox ls --failing\n"
        "  statefun inbox ls example/person/Bob --json\n"
        "\nExit codes: 0 ok, 1 failure, 2 bad address.");
    cmd->add_option("address", args->address, "Only messages for this namespace/type/id");
    cmd->add_flag("--failing", args->failing, "Only messages whose delivery failed");
    cmd->add_option("--limit", args->limit, "At most this many messages, oldest first")
        ->capture_default_str()
        ->check(CLI::Range(1, 100000));
    add_output_flags(cmd, args->common);
    add_admin_flags(cmd, args->common);
    add_offline_flags(cmd, args->common);
    add_proto_flags(cmd, args->common);
    cmd->callback([args, &exit_code] { exit_code = run_ls(*args); });
  }
  for (const bool drop : {true, false}) {
    auto args = std::make_shared<InboxArgs>();
    auto* cmd =
        drop ? inbox->add_subcommand(
                   "drop", "Move a pending message (or all of an address) to the dead letters")
             : inbox->add_subcommand(
                   "retry", "Send a failing message (or address) again now, backoff reset");
    cmd->footer(
        drop ? "Needs a running statefun dev. A step of its own, in the trace; undo with\n"
               "`statefun dead-letters replay ID`, delete for good with `dead-letters drop ID`.\n"
               "\nExamples:\n  statefun inbox drop 42\n"
               "  statefun inbox drop --address example/person/Bob\n"
               "\nExit codes: 0 ok, 1 failure, 2 bad arguments, 3 no such pending message."
             : "Needs a running statefun dev. A step of its own, in the trace.\n"
               "\nExamples:\n  statefun inbox retry 42\n"
               "  statefun inbox retry --address example/person/Bob\n"
               "\nExit codes: 0 ok, 1 failure (nothing waits for a retry), 2 bad arguments,\n"
               "3 no such pending message.");
    args->id_option = cmd->add_option("id", args->id, "Message id (see inbox ls)");
    cmd->add_option("--address", args->address, "Every pending message of namespace/type/id");
    add_output_flags(cmd, args->common);
    add_admin_flags(cmd, args->common);
    cmd->callback([args, drop, &exit_code] { exit_code = run_op(*args, drop); });
  }
}

}  // namespace statefun::cli
