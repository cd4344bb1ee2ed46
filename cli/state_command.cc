#include "cli/state_command.h"

#include <fmt/format.h>

#include "cli/common.h"
#include "cli/history_command.h"
#include "cli/value_args.h"
#include "emulator/admin/admin_json.h"

namespace statefun::cli {
namespace {

struct StateArgs {
  CommonOptions common;
  ValueArgs value;
  std::string target;  // ls: NAMESPACE/TYPE; others: ADDR
  std::string name;
};

std::string state_path(const Address& a, const std::string& name = "") {
  std::string path = fmt::format("/v1/state/{}/{}/{}", url_encode(a.type.ns),
                                 url_encode(a.type.name), url_encode(a.id));
  if (!name.empty()) path += "/" + url_encode(name);
  return path;
}

std::string expires_cell(const Json& state) {
  if (!state["expires_at"].is_string()) return "-";
  return state["expires_at"].get<std::string>();
}

int run_ls(StateArgs& args) {
  std::optional<FunctionType> type;
  if (!args.target.empty()) {
    auto parsed = type_arg(args.target);
    if (!parsed) return report(parsed.error());
    type = *parsed;
  }
  auto source = DataSource::open(args.common);
  if (!source) return report(source.error());
  auto body = (*source)->addresses(type);
  if (!body) return report(body.error());
  if (args.common.want_json()) {
    print_json(*body);
    return kExitOk;
  }
  const Style style = Style::for_stdout(args.common.color);
  Table table({"ADDRESS", "STATES", "MESSAGES", "PENDING"});
  for (const auto& a : (*body)["addresses"]) {
    table.add({a["address"].get<std::string>(), std::to_string(a["states"].get<int64_t>()),
               std::to_string(a["messages"].get<int64_t>()),
               std::to_string(a["pending"].get<int64_t>())});
  }
  if (table.empty()) {
    print(style.dim(type ? fmt::format("no addresses of {}\n", type->str()) : "no addresses\n"));
    return kExitOk;
  }
  print(table.render(style));
  return kExitOk;
}

int run_get(StateArgs& args) {
  auto address = address_arg(args.target);
  if (!address) return report(address.error());
  auto protos = load_protos(args.common);
  if (!protos) return report(protos.error());
  auto source = DataSource::open(args.common);
  if (!source) return report(source.error());
  auto body = (*source)->states(*address);
  if (!body) return report(body.error());
  for (auto& state : (*body)["states"]) redecode(state, protos->get());
  const Style style = Style::for_stdout(args.common.color);

  if (!args.name.empty()) {
    std::string names;
    for (const auto& state : (*body)["states"]) {
      if (state["name"] != args.name) {
        names += (names.empty() ? "" : ", ") + state["name"].get<std::string>();
        continue;
      }
      if (args.common.want_json()) {
        print_json(state);
      } else if (state["encoding"] == "bytes") {
        print(value_cell(state, protos->get(), 0) + "\n");
      } else {
        print(state["value"].dump(-1, ' ', false, Json::error_handler_t::replace) + "\n");
      }
      return kExitOk;
    }
    return report(ErrorCode::kNotFound,
                  fmt::format("{} has no state '{}' (its states: {})", address->str(), args.name,
                              names.empty() ? "none" : names));
  }

  if (args.common.want_json()) print_json(*body);
  if ((*body)["states"].empty()) {
    return report(ErrorCode::kNotFound, fmt::format("{} has no state", address->str()));
  }
  if (args.common.want_json()) return kExitOk;
  Table table({"NAME", "TYPE", "VALUE", "VERSION", "EXPIRES"});
  for (const auto& state : (*body)["states"]) {
    table.add({style.bold(state["name"].get<std::string>()), state["typename"].get<std::string>(),
               value_cell(state, protos->get()), std::to_string(state["version"].get<int64_t>()),
               expires_cell(state)});
  }
  print(table.render(style));
  return kExitOk;
}

// The typename for `state set` without --type: the state's registered type,
// else the type of its stored value; nullopt when neither is known.
Result<std::optional<std::string>> current_type(AdminClient& client, const Address& address,
                                                const std::string& name, std::string& known) {
  auto body = client.get(state_path(address));
  if (!body) return std::unexpected(body.error());
  if ((*body)["registered"].is_array()) {
    for (const auto& spec : (*body)["registered"]) {
      if (spec["name"] == name) return spec["typename"].get<std::string>();
      known += (known.empty() ? "" : ", ") + spec["name"].get<std::string>();
    }
  }
  for (const auto& state : (*body)["states"]) {
    if (state["name"] == name) return state["typename"].get<std::string>();
  }
  return std::optional<std::string>();
}

int run_set(StateArgs& args) {
  auto address = address_arg(args.target);
  if (!address) return report(address.error());
  auto input = read_value_input(args.value);
  if (!input) return report(input.error());
  auto protos = load_protos(args.common);
  if (!protos) return report(protos.error());
  auto client = make_client(args.common);
  std::string type = args.value.type;
  if (type.empty()) {
    // The state's own type beats the --string/--int defaults.
    std::string registered;
    auto known = current_type(*client, *address, args.name, registered);
    if (!known) return report(known.error());
    type = known->value_or(default_type(args.value).value_or(""));
    if (type.empty()) {
      return report(
          ErrorCode::kNotFound,
          fmt::format("{} has no state '{}' ({})", address->str(), args.name,
                      registered.empty() ? "its function type has not registered states since "
                                           "statefun dev started: send it a message first"
                                         : "registered states: " + registered));
    }
  }
  auto bytes = values::encode(type, input->form, input->input, protos->get());
  if (!bytes) return report(bytes.error());
  Json body = {{"typename", type}, {"base64", values::base64_encode(*bytes)}};
  auto result = client->put(state_path(*address, args.name), body);
  if (!result) return report(result.error());
  if (args.common.want_json()) {
    print_json(*result);
  } else {
    const TypedValue typed{type, true, *bytes};
    print(fmt::format("{} {} = {} ({})\n", address->str(), args.name,
                      values::human(typed, protos->get(), 80), type));
  }
  return kExitOk;
}

int run_rm(StateArgs& args) {
  auto address = address_arg(args.target);
  if (!address) return report(address.error());
  auto client = make_client(args.common);
  auto result = client->del(state_path(*address, args.name));
  if (!result) return report(result.error());
  if (args.common.want_json()) {
    print_json(*result);
  } else {
    std::string names;
    for (const auto& n : (*result)["removed"]) names += " " + n.get<std::string>();
    print(fmt::format("{} removed:{}\n", address->str(), names));
  }
  return kExitOk;
}

}  // namespace

void setup_state_command(CLI::App& app, int& exit_code) {
  auto* state = app.add_subcommand("state", "Look at and edit the state of function instances");
  state->require_subcommand(1);
  state->footer(
      "Reads (ls, get) ask the running statefun dev, or read the state database\n"
      "directly (read-only) when none runs. Writes (set, rm) need statefun dev: they\n"
      "run between two steps of the address, as a step of their own.\n"
      "\n"
      "Examples:\n"
      "  statefun state ls example/person\n"
      "  statefun state get example/person/Bob\n"
      "  statefun state get example/person/Bob visits --json\n"
      "  statefun state set example/person/Bob visits 41\n"
      "  statefun state rm example/person/Bob visits\n"
      "  statefun state history example/person/Bob");

  auto add = [&](const char* name, const char* help, int (*run)(StateArgs&), const char* footer) {
    auto args = std::make_shared<StateArgs>();
    auto* cmd = state->add_subcommand(name, help);
    cmd->footer(footer);
    cmd->callback([args, run, &exit_code] { exit_code = run(*args); });
    return std::make_pair(cmd, args);
  };

  {
    auto [cmd, args] = add("ls", "List addresses (of one function type)", run_ls,
                           "Examples:\n"
                           "  statefun state ls\n"
                           "  statefun state ls example/person --json\n"
                           "\nExit codes: 0 ok, 1 failure, 2 bad function type.");
    cmd->add_option("type", args->target, "NAMESPACE/TYPE to list");
    add_output_flags(cmd, args->common);
    add_admin_flags(cmd, args->common);
    add_offline_flags(cmd, args->common);
  }
  {
    auto [cmd, args] =
        add("get", "Show the state of an address, or one value", run_get,
            "Values are decoded: io.statefun.types/* as numbers, strings and booleans,\n"
            "JSON as JSON, protobuf messages with --proto FILE, raw bytes otherwise.\n"
            "With NAME, prints just the value (JSON), handy in scripts.\n"
            "\n"
            "Examples:\n"
            "  statefun state get example/person/Bob\n"
            "  statefun state get example/person/Bob visits\n"
            "  statefun state get shop/cart/c1 --proto shop.proto --json\n"
            "\nExit codes: 0 ok, 1 failure, 2 bad address, 3 no such state.");
    cmd->add_option("address", args->target, "namespace/type/id")->required();
    cmd->add_option("name", args->name, "One state to show");
    add_output_flags(cmd, args->common);
    add_admin_flags(cmd, args->common);
    add_offline_flags(cmd, args->common);
    add_proto_flags(cmd, args->common);
  }
  {
    auto [cmd, args] = add(
        "set", "Write one state value (needs statefun dev)", run_set,
        "The type defaults to the state's registered (or stored) typename. VALUE is in\n"
        "the type's notation: 7, 2.5, true, \"text\" for well-known types; JSON for JSON\n"
        "and protobuf (--proto) types. --string S stores raw text for other types.\n"
        "A state the function type does not register is refused (exit 3).\n"
        "--json J is the value here: use -o json for JSON output.\n"
        "\n"
        "Examples:\n"
        "  statefun state set example/person/Bob visits 41\n"
        "  statefun state set example/person/Bob visits --type io.statefun.types/int 41\n"
        "  statefun state set shop/cart/c1 items --json '[\"apple\"]'\n"
        "\nExit codes: 0 ok, 1 failure (no emulator), 2 bad address or value, 3 unknown state.");
    cmd->add_option("address", args->target, "namespace/type/id")->required();
    cmd->add_option("name", args->name, "The state's name")->required();
    add_value_flags(cmd, args->value, "The value in the type's notation, or - for stdin");
    add_output_flags(cmd, args->common, /*with_json_flag=*/false);  // --json is the value
    add_admin_flags(cmd, args->common);
    add_proto_flags(cmd, args->common);
  }
  {
    auto [cmd, args] =
        add("rm", "Delete one state value, or all of an address (needs statefun dev)", run_rm,
            "Examples:\n"
            "  statefun state rm example/person/Bob visits\n"
            "  statefun state rm example/person/Bob\n"
            "\nExit codes: 0 ok, 1 failure (no emulator), 2 bad address, 3 no "
            "such state.");
    cmd->add_option("address", args->target, "namespace/type/id")->required();
    cmd->add_option("name", args->name, "The state to delete (default: all)");
    add_output_flags(cmd, args->common);
    add_admin_flags(cmd, args->common);
  }
  setup_history_command(*state, exit_code);
}

}  // namespace statefun::cli
