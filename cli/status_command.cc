#include "cli/status_command.h"

#include <fmt/format.h>

#include "cli/common.h"
#include "runtime/core/size_text.h"

namespace statefun::cli {
namespace {

struct StatusArgs {
  CommonOptions common;
};

std::string human_status(const Json& s, const Style& style, int admin_port) {
  std::string out =
      fmt::format("statefun dev {} {}\n", s["version"].get<std::string>(), style.green("running"));
  auto row = [&](const char* label, const std::string& value) {
    out += fmt::format("  {:<10} {}\n", label, value);
  };
  row("admin", fmt::format("http://127.0.0.1:{}", admin_port));
  if (int port = s["ingress_port"].get<int>()) {
    row("ingress", fmt::format("http://127.0.0.1:{}/<namespace>/<type>/<id>", port));
  }
  if (int port = s["egress_port"].get<int>()) {
    std::string topics;
    for (const auto& t : s["egress_topics"])
      topics += (topics.empty() ? "" : ", ") + t.get<std::string>();
    row("egress", fmt::format("http://127.0.0.1:{}/<topic>  topics: {}", port, topics));
  }
  row("module", s["module"].get<std::string>());
  row("data", s["data"].get<std::string>());
  for (const auto& f : s["functions"]) {
    row("functions",
        fmt::format("{} → {}", f["functions"].get<std::string>(), f["url"].get<std::string>()));
  }
  for (const auto& [type, specs] : s["registered"].items()) {
    std::string names;
    for (const auto& spec : specs) {
      names += (names.empty() ? "" : ", ") + fmt::format("{} ({})", spec["name"].get<std::string>(),
                                                         spec["typename"].get<std::string>());
    }
    row("states", fmt::format("{}: {}", type, names.empty() ? "none" : names));
  }
  const auto count = [&](const char* key) { return s[key].get<int64_t>(); };
  row("messages",
      fmt::format("{} pending, {} in flight, {} unroutable, {} timer(s)", count("pending"),
                  count("in_flight"), count("unroutable"), count("timers")));
  row("steps", std::to_string(count("steps")));
  if (s.contains("clock")) {
    const Json& clock = s["clock"];
    row("clock",
        fmt::format("{} {}", clock["mode"].get<std::string>(), clock["now"].get<std::string>()));
  }
  for (const auto& p : s.value("processes", Json::array())) {
    const std::string state = p["state"].get<std::string>();
    const bool up = state == "ready" || state == "running";
    // `start: on-demand`: down on purpose, not a problem.
    const std::string shown = state == "idle"
                                  ? style.yellow("idle") + " (down until a message for it is due)"
                              : up ? style.green(state)
                                   : style.red(state);
    std::string text = fmt::format("{} {}", p["name"].get<std::string>(), shown);
    if (!p["pid"].is_null()) text += fmt::format(", pid {}", p["pid"].get<int>());
    if (int restarts = p["restarts"].get<int>()) text += fmt::format(", {} restart(s)", restarts);
    if (!p["last_exit"].is_null()) {
      text += fmt::format(", last exit: {}", p["last_exit"].get<std::string>());
    }
    row("process", text);
  }
  for (const auto& k : s.value("kafka", Json::array())) {
    const std::string state = k["state"].get<std::string>();
    std::string text = fmt::format(
        "{} {} {} {}: {}, {} record(s)", k["direction"].get<std::string>(),
        k["id"].get<std::string>(), k["direction"] == "ingress" ? "from" : "to",
        k["address"].get<std::string>(),
        state == "connected" ? style.green(state) : style.red(state), k["records"].get<int64_t>());
    if (int64_t skipped = k["skipped"].get<int64_t>()) {
      text += fmt::format(", {} skipped", skipped);
    }
    if (!k["error"].is_null()) text += ": " + k["error"].get<std::string>();
    row("kafka", text);
  }
  if (count("failing")) row("failing", style.red(fmt::format("{} address(es)", count("failing"))));
  for (const auto& f : s.value("failing_addresses", Json::array())) {
    const int64_t messages = f["messages"].get<int64_t>();
    row("",
        style.red(fmt::format("{} ({} message{}, attempt {}): {}", f["address"].get<std::string>(),
                              messages, messages == 1 ? "" : "s", f["attempt"].get<int>(),
                              f["reason"].get<std::string>())));
    if (!f["output"].empty()) {
      row("",
          style.dim(fmt::format("  [{}] printed during the call:",
                                f["process"].is_null() ? "?" : f["process"].get<std::string>())));
      for (const auto& line : f["output"]) row("", "  | " + line["line"].get<std::string>());
    } else if (!f["body"].get<std::string>().empty()) {
      const auto body = f["body"].get<std::string>();
      row("", "  response body: " + body.substr(0, body.find('\n')));
    }
  }
  for (const auto& [type, depth] : s["queued_by_type"].items()) {
    row("queued", fmt::format("{} {}", type, depth.get<int64_t>()));
  }
  row("idle", s["idle"].get<bool>() ? "yes" : "no");
  if (s.contains("data_usage")) {
    const Json& d = s["data_usage"];
    const auto bytes = [&](const char* key) { return d[key].get<int64_t>(); };
    std::string kept = human_bytes(bytes("retained_bytes"));
    if (bytes("retention_size_bytes")) {
      kept += fmt::format(" of {} cap", human_bytes(bytes("retention_size_bytes")));
    }
    row("disk", fmt::format("{} database, {} snapshots; trace and consumed messages {}",
                            human_bytes(bytes("database_bytes")),
                            human_bytes(bytes("snapshots_bytes")), kept));
  }
  return out;
}

int run_status(StatusArgs& args) {
  auto client = make_client(args.common, std::chrono::seconds(5));
  auto status = client->get("/v1/status");
  if (!status) {
    if (status.error().code == ErrorCode::kUnavailable && args.common.want_json()) {
      print_json({{"running", false},
                  {"admin_port", args.common.admin_port},
                  {"error", status.error().message}});
    }
    return report(status.error());
  }
  if (args.common.want_json()) {
    print_json(*status);
  } else {
    print(human_status(*status, Style::for_stdout(args.common.color), client->port()));
  }
  return kExitOk;
}

}  // namespace

void setup_status_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<StatusArgs>();
  auto* cmd = app.add_subcommand("status", "Show whether an emulator runs, its ports and counts");
  cmd->footer(
      "Examples:\n"
      "  statefun status\n"
      "  statefun status --json | jq .pending\n"
      "  statefun status --admin-port 9092\n"
      "\nExit codes: 0 running, 1 no emulator running (or it failed to answer).");
  add_output_flags(cmd, args->common);
  add_admin_flags(cmd, args->common);
  cmd->callback([args, &exit_code] { exit_code = run_status(*args); });
}

}  // namespace statefun::cli
