#include "cli/egress_command.h"

#include <fmt/format.h>

#include <thread>

#include "cli/common.h"
#include "cli/follow_pages.h"

namespace statefun::cli {
namespace {

constexpr auto kFollowPoll = std::chrono::milliseconds(200);

struct EgressArgs {
  CommonOptions common;
  std::string topic;
  int64_t from = 0;
  int limit = 1000;
  bool follow = false;
  bool raw = false;
};

int run_ls(EgressArgs& args) {
  auto source = DataSource::open(args.common);
  if (!source) return report(source.error());
  auto body = (*source)->topics();
  if (!body) return report(body.error());
  if (args.common.want_json()) {
    print_json(*body);
    return kExitOk;
  }
  const Style style = Style::for_stdout(args.common.color);
  Table table({"TOPIC", "EGRESS", "RECORDS", "UNPOPPED"});
  for (const auto& t : (*body)["topics"]) {
    table.add({style.cyan(t["topic"].get<std::string>()), t["egress"].get<std::string>(),
               std::to_string(t["records"].get<int64_t>()),
               std::to_string(t["unpopped"].get<int64_t>())});
  }
  print(table.empty() ? style.dim("no egress topics\n") : table.render(style));
  return kExitOk;
}

void print_record(const EgressArgs& args, const Json& record, const Style& style) {
  if (args.common.want_json()) {
    print_json_line(record);
  } else if (args.raw) {
    print(record["payload"].is_string() ? record["payload"].get<std::string>() + "\n"
                                        : record["payload_base64"].get<std::string>() + "\n");
  } else {
    print(egress_line(record, style, false) + "\n");
  }
}

int run_read(EgressArgs& args) {
  if (args.from < 0) return report(ErrorCode::kInvalidArgument, "--from must be >= 0");
  auto source = DataSource::open(args.common);
  if (!source) return report(source.error());
  const Style style = Style::for_stdout(args.common.color);
  auto body = (*source)->egress(args.topic, args.from, args.limit);
  if (!body) return report(body.error());
  if (!args.follow) {
    if (args.common.want_json()) {
      print_json(*body);
      return kExitOk;
    }
    for (const auto& record : (*body)["records"]) print_record(args, record, style);
    return kExitOk;
  }
  // --follow: JSON lines, one record each, until interrupted.
  return report(
      follow_pages(std::move(*body),
                   {[&](int64_t next) { return (*source)->egress(args.topic, next, args.limit); },
                    [&](const Json& record) { print_record(args, record, style); },
                    [] { return kFollowPoll; }}));
}

}  // namespace

void setup_egress_command(CLI::App& app, int& exit_code) {
  auto* egress = app.add_subcommand("egress", "List egress topics and read their records");
  egress->require_subcommand(1);
  egress->footer(
      "Records are read without consuming them: the playground egress (GET /<topic>)\n"
      "still serves them. A record's offset is its sequence number: increasing and\n"
      "stable, shared by all topics (so not contiguous within one).\n"
      "\n"
      "Examples:\n"
      "  statefun egress ls\n"
      "  statefun egress read greetings\n"
      "  statefun egress read greetings --from 10 --json\n"
      "  statefun egress read greetings --follow");
  {
    auto args = std::make_shared<EgressArgs>();
    auto* cmd = egress->add_subcommand("ls", "List egress topics with record counts");
    cmd->footer(
        "Examples:\n  statefun egress ls\n  statefun egress ls --json\n"
        "\nExit codes: 0 ok, 1 failure.");
    add_output_flags(cmd, args->common);
    add_admin_flags(cmd, args->common);
    add_offline_flags(cmd, args->common);
    cmd->callback([args, &exit_code] { exit_code = run_ls(*args); });
  }
  {
    auto args = std::make_shared<EgressArgs>();
    auto* cmd = egress->add_subcommand("read", "Print a topic's records from an offset");
    cmd->footer(
        "Human output: OFFSET TIME PAYLOAD per line (--raw: the payload only).\n"
        "--json prints {\"topic\", \"records\", \"next\"}; with --follow, one JSON record per\n"
        "line. --follow keeps printing new records until interrupted.\n"
        "\n"
        "Examples:\n"
        "  statefun egress read greetings\n"
        "  statefun egress read greetings --from 3 --limit 10\n"
        "  statefun egress read greetings --raw | grep 'Hello Bob'\n"
        "  statefun egress read greetings --follow --json\n"
        "\nExit codes: 0 ok, 1 failure, 2 bad flag, 3 unknown topic.");
    cmd->add_option("topic", args->topic, "The topic to read")->required();
    cmd->add_option("--from", args->from, "First offset to print")->capture_default_str();
    cmd->add_option("--limit", args->limit, "At most this many records per read")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    cmd->add_flag("-f,--follow", args->follow, "Keep printing new records");
    cmd->add_flag("--raw", args->raw, "Print only the payloads");
    add_output_flags(cmd, args->common);
    add_admin_flags(cmd, args->common);
    add_offline_flags(cmd, args->common);
    cmd->callback([args, &exit_code] { exit_code = run_read(*args); });
  }
}

}  // namespace statefun::cli
