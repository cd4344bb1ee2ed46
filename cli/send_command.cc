#include "cli/send_command.h"

#include <fmt/format.h>

#include "cli/causal_view.h"
#include "cli/common.h"
#include "cli/value_args.h"

namespace statefun::cli {
namespace {

struct SendArgs {
  CommonOptions common;
  ValueArgs value;
  std::string address;
  bool wait = false;
  std::string timeout = "60s";
  std::string stuck_after = "5s";
  bool tree = false;      // --tree: print the causal tree, not the list of steps
  bool payloads = false;  // --payloads: print message values too
  int64_t max_nodes = 1000;
};

// After --wait: the message's causal tree, as settled (or stuck, or as far
// as it got when the time ran out).
int print_tree(const SendArgs& args, Json sent, const Json& tree, const Style& style,
               const values::ProtoTypes* protos) {
  const std::string outcome = tree.value("outcome", std::string());
  const auto& stuck = tree["stuck"];
  if (args.common.want_json()) {
    sent.update(tree_steps_json(tree));
    sent["tree"] = tree;
    print_json(sent);
  } else {
    const CausalPrint how{args.payloads, protos};
    print(args.tree ? tree_text(tree, style, how) : tree_steps_text(tree, style, how));
  }
  if (outcome == "settled") return kExitOk;
  if (outcome == "stuck" && !stuck.empty()) {
    // The first stuck message's reason, then every failing address of the
    // tree with what its process printed.
    const int64_t stuck_id = stuck[0].value("id", int64_t{0});
    const int64_t root_id = tree.value("id", int64_t{0});
    const std::string which =
        stuck_id == root_id ? fmt::format("message {}", stuck_id)
                            : fmt::format("message {}, caused by message {}", stuck_id, root_id);
    return report(ErrorCode::kTimeout,
                  fmt::format("{} ({}; --stuck-after {}){}", stuck[0].value("error", std::string()),
                              which, args.stuck_after, failing_text(tree)));
  }
  if (outcome == "stopping") return report(ErrorCode::kUnavailable, "statefun dev stopped");
  return report(ErrorCode::kTimeout,
                fmt::format("message {} still has {} message(s) pending after --timeout {}{}",
                            tree.value("id", int64_t{0}), tree["pending"].size(), args.timeout,
                            failing_text(tree)));
}

int run_send(SendArgs& args) {
  const Style style = Style::for_stdout(args.common.color);
  auto address = address_arg(args.address);
  if (!address) return report(address.error());
  auto input = read_value_input(args.value);
  if (!input) return report(input.error());
  auto type = default_type(args.value);
  if (!type) {
    return report(ErrorCode::kInvalidArgument,
                  fmt::format("{} needs --type: the message's typename, e.g. --type "
                              "example/GreetRequest",
                              input->source));
  }
  auto protos = load_protos(args.common);
  if (!protos) return report(protos.error());
  auto bytes = values::encode(*type, input->form, input->input, protos->get());
  if (!bytes) return report(bytes.error());
  auto timeout = duration_arg("--timeout", args.timeout);
  if (!timeout) return report(timeout.error());
  auto stuck_after = duration_arg("--stuck-after", args.stuck_after);
  if (!stuck_after) return report(stuck_after.error());

  auto client = make_client(args.common, *timeout + std::chrono::seconds(10));
  Json body = {
      {"address", address->str()}, {"typename", *type}, {"base64", values::base64_encode(*bytes)}};
  auto sent = client->post("/v1/messages", body);
  if (!sent) return report(sent.error());
  const int64_t id = (*sent)["id"].get<int64_t>();
  if (!args.wait) {
    if (args.common.want_json()) {
      print_json(*sent);
    } else {
      print(fmt::format("sent {} to {} {}\n", *type, style.bold(address->str()),
                        style.dim(fmt::format("(message {})", id))));
    }
    return kExitOk;
  }
  // The server holds the request until the message's own tree settles, one
  // of its messages is stuck, or the timeout.
  auto tree =
      client->get(fmt::format("/v1/messages/{}/tree?wait_ms={}&stuck_after_ms={}&max_nodes={}", id,
                              timeout->count(), stuck_after->count(), args.max_nodes));
  if (!tree) return report(tree.error());
  return print_tree(args, *sent, *tree, style, protos->get());
}

}  // namespace

void setup_send_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<SendArgs>();
  auto* cmd = app.add_subcommand("send", "Send a message to a function (needs statefun dev)");
  cmd->footer(
      "The value is given once: VALUE (the type's own notation), --json J, --string S,\n"
      "--int N, --file F, or - to read stdin. Without --type, --string sends an\n"
      "io.statefun.types/string and --int an io.statefun.types/int. Well-known types\n"
      "are encoded canonically; other typenames take JSON (stored as given) or raw\n"
      "bytes (--string, --file, -); protobuf types take JSON with --proto FILE.\n"
      "\n"
      "--wait waits for the message's causal tree: the step that consumed it, the\n"
      "messages that step sent, their steps, and so on. It prints those steps and\n"
      "their egress records (--tree: as a tree; --payloads: with message values),\n"
      "whatever other addresses do meanwhile. A message of the tree whose address\n"
      "has been failing for --stuck-after ends the wait with its reason (exit 4).\n"
      "Delayed messages of the tree are shown, not waited for. The message id is\n"
      "printed (and in -o json); `statefun trace --tree ID` or --from-send shows\n"
      "the tree again later.\n"
      "\n"
      "Examples:\n"
      "  statefun send example/person/Bob --type example/GreetRequest --json '{\"name\":\"Bob\"}'\n"
      "  statefun send example/counter/c1 --int 5\n"
      "  statefun send example/person/Bob -t example/GreetRequest '{\"name\":\"Bob\"}' --wait\n"
      "  echo '{\"name\":\"Ann\"}' | statefun send example/person/Ann -t example/GreetRequest -\n"
      "  statefun send shop/cart/c1 -t type.googleapis.com/shop.AddItem --proto shop.proto \\\n"
      "      --json '{\"item\":\"apple\"}'\n"
      "\n"
      "JSON output: -o json. Exit codes: 0 ok, 1 failure (no emulator), 2 bad address or\n"
      "value, 4 --wait timed out or a message of the tree is stuck.");
  cmd->add_option("address", args->address, "Target: namespace/type/id")->required();
  add_value_flags(cmd, args->value, "The value in the type's notation, or - for stdin");
  auto* wait = cmd->add_flag("-w,--wait", args->wait,
                             "Wait for the message's causal tree and print its steps and egress");
  cmd->add_option("--timeout", args->timeout, "How long --wait waits (e.g. 30s, 2m, 1h30m)")
      ->type_name("DURATION")
      ->capture_default_str();
  cmd->add_option("--stuck-after", args->stuck_after,
                  "--wait gives up once a message of the tree has been failing this long")
      ->type_name("DURATION")
      ->capture_default_str()
      ->needs(wait);
  cmd->add_flag("--tree", args->tree, "With --wait: print the causal tree, not a list of steps")
      ->needs(wait);
  cmd->add_flag("--payloads", args->payloads, "With --wait: print the message values too")
      ->needs(wait);
  cmd->add_option("--max-nodes", args->max_nodes, "With --wait: at most this many messages")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str()
      ->needs(wait);
  add_output_flags(cmd, args->common, /*with_json_flag=*/false);
  add_admin_flags(cmd, args->common);
  add_proto_flags(cmd, args->common);
  cmd->callback([args, &exit_code] { exit_code = run_send(*args); });
}

}  // namespace statefun::cli
