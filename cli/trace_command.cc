#include "cli/trace_command.h"

#include <fmt/format.h>

#include <chrono>
#include <thread>

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
};

void print_step(const TraceArgs& args, const Json& step, const Style& style) {
  if (args.common.want_json()) {
    print_json_line(step);
  } else {
    print(step_line(step, style) + "\n");
  }
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
          if (!step.is_discarded()) print_step(args, step, style);
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
    auto body = source.trace(query);
    if (!body) return report(body.error());
    for (const auto& step : (*body)["steps"]) {
      print_step(args, step, style);
      last = step["step"].get<int64_t>();
    }
    if ((*body)["steps"].empty()) std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

int run_trace(TraceArgs& args) {
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
  auto body = (*source)->trace(query);
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
      "Works offline (reads the database) when no emulator runs.\n"
      "\n"
      "Examples:\n"
      "  statefun trace\n"
      "  statefun trace example/person/Bob --since 10m\n"
      "  statefun trace --after-step 120 --json\n"
      "  statefun trace --follow\n"
      "\nExit codes: 0 ok, 1 failure, 2 bad address or --since.");
  cmd->add_option("address", args->address, "Only steps of this namespace/type/id");
  cmd->add_option("--since", args->since, "Steps since a duration ago (10m) or a time (21:58)");
  cmd->add_option("--after-step", args->after_step, "Steps after this step id");
  cmd->add_option("--limit", args->limit, "At most this many steps")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_flag("-f,--follow", args->follow, "Keep printing new steps");
  add_output_flags(cmd, args->common);
  add_admin_flags(cmd, args->common);
  add_offline_flags(cmd, args->common);
  cmd->callback([args, &exit_code] { exit_code = run_trace(*args); });
}

}  // namespace statefun::cli
