#include "cli/trace_command.h"

#include <fmt/format.h>

#include <chrono>
#include <limits>
#include <thread>

#include "cli/causal_view.h"
#include "cli/common.h"

namespace statefun::cli {
namespace {

struct TraceArgs {
  CommonOptions common;
  std::string address;
  std::string since;
  int64_t after_step = -1;
  int limit = 100;
  bool follow = false;
  bool payloads = false;   // --payloads: what each step consumed, produced and wrote
  int64_t tree = -1;       // --tree MSG_ID: the causal tree of one message
  bool from_send = false;  // --from-send: the tree of the last message `send` sent
  int64_t max_nodes = 1000;
  std::unique_ptr<values::ProtoTypes> protos;
};

void print_step(const TraceArgs& args, const Json& step, const Style& style) {
  if (args.common.want_json()) {
    print_json_line(step);
  } else {
    std::string text = step_line(step, style) + "\n";
    if (args.payloads) text += step_payload_lines(step, style, {true, args.protos.get()});
    print(text);
  }
}

// `--tree ID` / `--from-send`: one message's causal tree.
int run_tree(TraceArgs& args) {
  auto source = DataSource::open(args.common);
  if (!source) return report(source.error());
  int64_t id = args.tree;
  if (args.from_send) {
    auto last = last_sent_id(**source);
    if (!last) return report(last.error());
    id = *last;
  }
  auto tree = fetch_tree(**source, id, args.max_nodes);
  if (!tree) return report(tree.error());
  if (args.common.want_json()) {
    print_json(*tree);
    return kExitOk;
  }
  const Style style = Style::for_stdout(args.common.color);
  print(tree_text(*tree, style, {args.payloads, args.protos.get()}));
  return kExitOk;
}

int follow(TraceArgs& args, DataSource& source, const TraceQuery& base, int64_t last,
           const Style& style) {
  if (!source.offline()) {
    std::string path = fmt::format("/v1/events?after_step={}", last);
    if (base.address) path += "&address=" + url_encode(base.address->str());
    auto result =
        source.admin()->stream(path, [&](const std::string& kind, const std::string& data) {
          if (kind != "step") return true;
          auto step = Json::parse(data, nullptr, false);
          if (step.is_discarded()) return true;
          if (args.payloads) {
            // Stream events carry no payloads: read them for this step.
            TraceQuery one;
            one.after_step = step.value("step", int64_t{1}) - 1;
            one.limit = 1;
            auto full = source.trace(one, true);
            if (full && !(*full)["steps"].empty()) step = (*full)["steps"][0];
          }
          print_step(args, step, style);
          return true;
        });
    if (!result) return report(result.error());
    return report(ErrorCode::kUnavailable, "statefun dev stopped");
  }
  for (;;) {
    TraceQuery query = base;
    query.after_step = last;
    query.newest = false;
    query.limit = 1000;
    auto body = source.trace(query, args.payloads);
    if (!body) return report(body.error());
    for (const auto& step : (*body)["steps"]) {
      print_step(args, step, style);
      last = step["step"].get<int64_t>();
    }
    if ((*body)["steps"].empty()) std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

int run_trace(TraceArgs& args) {
  auto protos = load_protos(args.common);
  if (!protos) return report(protos.error());
  args.protos = std::move(*protos);
  if (args.tree >= 0 || args.from_send) return run_tree(args);
  TraceQuery query;
  if (!args.address.empty()) {
    auto parsed = address_arg(args.address);
    if (!parsed) return report(parsed.error());
    query.address = *parsed;
  }
  if (!args.since.empty()) {
    // A bare number is seconds back, as --timeout's is seconds.
    auto since = time_arg("--since", args.since, kSecondsByDefault);
    if (!since) return report(since.error());
    query.since_ms = *since;
  }
  query.limit = args.limit;
  if (args.after_step >= 0) query.after_step = args.after_step;
  // Without a starting point, the newest steps are the interesting ones.
  query.newest = args.since.empty() && args.after_step < 0;
  auto source = DataSource::open(args.common);
  if (!source) return report(source.error());
  auto body = (*source)->trace(query, args.payloads);
  if (!body) return report(body.error());
  const Style style = Style::for_stdout(args.common.color);
  if (args.common.want_json() && !args.follow) {
    print_json(*body);
    return kExitOk;
  }
  int64_t last = query.after_step;
  for (const auto& step : (*body)["steps"]) {
    print_step(args, step, style);
    last = step["step"].get<int64_t>();
  }
  if (!args.follow) {
    if ((*body)["steps"].empty()) print(style.dim("no steps\n"));
    return kExitOk;
  }
  // Follow from what was printed, or from now when nothing was.
  if ((*body)["steps"].empty() && query.newest) last = (*body)["last_step"].get<int64_t>();
  return follow(args, **source, query, last, style);
}

}  // namespace

void setup_trace_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<TraceArgs>();
  auto* cmd = app.add_subcommand("trace", "Show the message flow, one line per step");
  cmd->footer(
      "Each line is the one statefun dev prints for the step: time, address,\n"
      "message type (or the batch size and its first type), the function's\n"
      "response time, step id, and what the step did: states changed, messages\n"
      "sent (→), delayed messages (⏲), egress records (⇥). Admin edits show as\n"
      "statefun/state-set and statefun/state-rm steps taking \"admin\".\n"
      "Without --since or --after-step, the newest --limit steps are shown.\n"
      "--json prints {\"steps\", \"last_step\"}; with --follow, one JSON step per line.\n"
      "--payloads adds, under each step, the messages it consumed (←) and sent (→)\n"
      "with their values decoded by type (as `state get` shows them), and its egress.\n"
      "\n"
      "--tree MSG_ID shows the causal tree of one message: the step that consumed\n"
      "it, the messages that step sent, their steps, and so on across functions,\n"
      "with egress records and pending delayed messages at the leaves. `send`\n"
      "prints the id; --from-send takes the last message `statefun send` sent.\n"
      "A step answers a whole batch, so it belongs to the tree of every message\n"
      "in its batch.\n"
      "Works offline (reads the database) when no emulator runs.\n"
      "\n"
      "Examples:\n"
      "  statefun trace\n"
      "  statefun trace example/person/Bob --since 10m\n"
      "  statefun trace --after-step 120 --json\n"
      "  statefun trace --follow --payloads\n"
      "  statefun trace --tree 42\n"
      "  statefun send example/person/Bob -t example/GreetRequest '{\"name\":\"Bob\"}' && "
      "statefun trace --from-send --payloads\n"
      "\nExit codes: 0 ok, 1 failure, 2 bad address or --since, 3 no such message.");
  cmd->add_option("address", args->address, "Only steps of this namespace/type/id");
  cmd->add_option("--since", args->since, "Steps since a duration ago (10m) or a time (21:58)");
  cmd->add_option("--after-step", args->after_step, "Steps after this step id");
  cmd->add_option("--limit", args->limit, "At most this many steps")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  auto* follow_flag = cmd->add_flag("-f,--follow", args->follow, "Keep printing new steps");
  cmd->add_flag("--payloads", args->payloads,
                "Show what each step consumed, sent and wrote, with values");
  auto* tree = cmd->add_option("--tree", args->tree, "The causal tree of message MSG_ID")
                   ->type_name("MSG_ID")
                   ->check(CLI::Range(int64_t{0}, std::numeric_limits<int64_t>::max()))
                   ->excludes(follow_flag);
  cmd->add_flag("--from-send", args->from_send,
                "The causal tree of the last message `statefun send` sent")
      ->excludes(tree)
      ->excludes(follow_flag);
  cmd->add_option("--max-nodes", args->max_nodes, "With --tree: at most this many messages")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  add_output_flags(cmd, args->common);
  add_admin_flags(cmd, args->common);
  add_offline_flags(cmd, args->common);
  add_proto_flags(cmd, args->common);
  cmd->callback([args, &exit_code] { exit_code = run_trace(*args); });
}

}  // namespace statefun::cli
