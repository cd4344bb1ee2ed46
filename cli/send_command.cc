#include "cli/send_command.h"

#include <fmt/format.h>

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
};

// After --wait: the steps and egress records committed after `after_step`.
int print_effects(AdminClient& client, const SendArgs& args, Json sent, int64_t after_step,
                  const Style& style) {
  auto steps = client.get(fmt::format("/v1/trace?after_step={}&limit=10000", after_step));
  if (!steps) return report(steps.error());
  auto egress = client.get(fmt::format("/v1/egress-records?after_step={}&limit=10000", after_step));
  if (!egress) return report(egress.error());
  if (args.common.want_json()) {
    sent["steps"] = (*steps)["steps"];
    sent["egress"] = (*egress)["records"];
    print_json(sent);
    return kExitOk;
  }
  std::string out;
  for (const auto& step : (*steps)["steps"]) out += step_line(step, style) + "\n";
  for (const auto& record : (*egress)["records"]) {
    out += style.cyan("egress ") + egress_line(record, style, true) + "\n";
  }
  if (out.empty()) out = "(no steps)\n";
  print(out);
  return kExitOk;
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

  auto client = make_client(args.common, *timeout + std::chrono::seconds(10));
  Json body = {
      {"address", address->str()}, {"typename", *type}, {"base64", values::base64_encode(*bytes)}};
  auto sent = client->post("/v1/messages", body);
  if (!sent) return report(sent.error());
  const int64_t after_step = (*sent)["after_step"].get<int64_t>();
  if (!args.wait) {
    if (args.common.want_json()) {
      print_json(*sent);
    } else {
      print(fmt::format("sent {} to {}\n", *type, style.bold(address->str())));
    }
    return kExitOk;
  }
  auto idle = client->get(fmt::format("/v1/wait?timeout_ms={}", timeout->count()));
  if (!idle) return report(idle.error());
  return print_effects(*client, args, *sent, after_step, style);
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
      "--wait waits until the emulator is idle (nothing pending or in flight), then\n"
      "prints every step and egress record committed after the message was accepted.\n"
      "The engine does not track causality: if other messages arrive meanwhile, their\n"
      "steps are printed too. Delayed messages (timers) are not waited for.\n"
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
      "value, 4 --wait timed out.");
  cmd->add_option("address", args->address, "Target: namespace/type/id")->required();
  add_value_flags(cmd, args->value, "The value in the type's notation, or - for stdin");
  cmd->add_flag("-w,--wait", args->wait,
                "Wait until idle and print the steps and egress that followed");
  cmd->add_option("--timeout", args->timeout, "How long --wait waits (e.g. 30s, 2m, 1h30m)")
      ->type_name("DURATION")
      ->capture_default_str();
  add_output_flags(cmd, args->common, /*with_json_flag=*/false);
  add_admin_flags(cmd, args->common);
  add_proto_flags(cmd, args->common);
  cmd->callback([args, &exit_code] { exit_code = run_send(*args); });
}

}  // namespace statefun::cli
