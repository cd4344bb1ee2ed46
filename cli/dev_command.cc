#include "cli/dev_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <filesystem>
#include <memory>

#include "cli/common.h"
#include "emulator/config/default_ports.h"
#include "emulator/console/terminal_style.h"
#include "emulator/dev/dev_server.h"
#include "runtime/core/clock.h"
#include "runtime/core/size_text.h"
#include "runtime/core/time_text.h"

namespace statefun::cli {
namespace {
namespace fs = std::filesystem;

struct DevArgs {
  emulator::DevOptions options;
  std::string config_path;
  std::string data_dir;
  int admin_port = emulator::kDefaultAdminPort;
  int ingress_port = 0;
  int egress_port = 0;
  std::string listen_host = "127.0.0.1";
  std::vector<std::string> hosts;
  std::vector<std::string> command;  // after `--`
  std::string name;                  // --name: of the process given after `--`
  int port = 8000;
  std::vector<std::string> watch;
  bool no_watch = false;
  bool quiet = false;
  std::string color = "auto";
  std::string log_format = "plain";
  std::string sync = "normal";
  std::string snapshot_every;
  int snapshot_keep = 5;
  bool snapshot_on_exit = false;
  int64_t history_versions = 1000;
  std::string retention;
  int retry_max_attempts = 0;
  std::string retry_max_age;
  std::string retention_size;
  std::vector<std::string> process_ports;  // NAME=PORT
  std::string clock = "wall";
  std::string clock_start;
  std::string kafka = "emulate";
  std::vector<std::string> protos;       // --proto
  std::vector<std::string> proto_paths;  // --proto-path
};

// SIGINT/SIGTERM are blocked in every thread and collected here, so the
// shutdown runs on the main thread with the usual locks, not in a handler.
void block_shutdown_signals(sigset_t& set) {
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

bool given(const CLI::App& dev, const std::string& name) {
  return dev.get_option(name)->count() > 0;
}

// Flags and STATEFUN_* variables (CLI11 reads both; a flag wins over its
// variable) become overrides that win over statefun.yaml.
Result<emulator::DevOverrides> overrides_from(const CLI::App& dev, const DevArgs& args) {
  emulator::DevOverrides overrides;
  auto& settings = overrides.settings;
  if (given(dev, "--data")) settings.data_dir = args.data_dir;
  if (given(dev, "--listen")) settings.listen_host = args.listen_host;
  if (given(dev, "--kafka")) settings.kafka_connect = args.kafka == "connect";
  if (given(dev, "--admin-port")) settings.admin_port = args.admin_port;
  if (given(dev, "--ingress-port")) settings.ingress_port = args.ingress_port;
  if (given(dev, "--egress-port")) settings.egress_port = args.egress_port;
  if (given(dev, "--snapshot-every")) {
    // As in statefun.yaml: a unit is required, and 0 means off.
    auto every = duration_arg("--snapshot-every", args.snapshot_every, kUnitRequired);
    if (!every) return std::unexpected(every.error());
    settings.snapshot_every = *every;
  }
  if (given(dev, "--snapshot-keep")) settings.snapshot_keep = args.snapshot_keep;
  if (given(dev, "--snapshot-on-exit")) settings.snapshot_on_exit = args.snapshot_on_exit;
  if (given(dev, "--history-versions")) settings.history_versions = args.history_versions;
  if (given(dev, "--retention")) {
    auto age = duration_arg("--retention", args.retention, kUnitRequired);
    if (!age) return std::unexpected(age.error());
    settings.retention_age = *age;
  }
  if (given(dev, "--retry-max-attempts")) settings.retry_max_attempts = args.retry_max_attempts;
  if (given(dev, "--retry-max-age")) {
    auto age = duration_arg("--retry-max-age", args.retry_max_age, kUnitRequired);
    if (!age) return std::unexpected(age.error());
    settings.retry_max_age = *age;
  }
  if (given(dev, "--retention-size")) {
    auto size = parse_byte_size(args.retention_size);
    if (!size) {
      return make_error(ErrorCode::kInvalidArgument, "--retention-size: " + size.error().message);
    }
    settings.retention_size = *size;
  }
  for (const auto& text : args.process_ports) {
    const auto eq = text.find('=');
    int port = 0;
    const bool valid = eq != std::string::npos && eq > 0 && eq + 1 < text.size() &&
                       std::all_of(text.begin() + static_cast<std::ptrdiff_t>(eq) + 1, text.end(),
                                   [](char c) { return c >= '0' && c <= '9'; }) &&
                       text.size() - eq - 1 <= 5 && (port = std::stoi(text.substr(eq + 1))) > 0 &&
                       port <= 65535;
    if (!valid) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("--process-port '{}': expected NAME=PORT (1-65535)", text));
    }
    overrides.process_ports[text.substr(0, eq)] = port;
  }
  for (const auto& text : args.hosts) {
    auto mapping = emulator::parse_host_mapping(text);
    if (!mapping)
      return make_error(ErrorCode::kInvalidArgument, "--host " + mapping.error().message);
    overrides.hosts[mapping->first] = mapping->second;
  }
  if (!args.command.empty()) {
    overrides.process =
        emulator::command_process(args.command, args.port, fs::current_path().string(), args.watch);
    if (!args.name.empty()) {
      const bool valid = std::ranges::all_of(args.name, [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
      });
      if (!valid) {
        return make_error(ErrorCode::kInvalidArgument,
                          fmt::format("--name '{}' may only contain letters, digits, '-', '_' and "
                                      "'.'",
                                      args.name));
      }
      overrides.process->name = args.name;
    }
  }
  return overrides;
}

int run_dev_command(const CLI::App& dev, DevArgs& args) {
  sigset_t signals;
  block_shutdown_signals(signals);  // before any thread starts
  signal(SIGPIPE, SIG_IGN);         // a client hanging up must not kill us

  emulator::ConsoleOptions console_options;
  console_options.quiet = args.quiet;
  console_options.format =
      args.log_format == "json" ? emulator::LogFormat::kJson : emulator::LogFormat::kPlain;
  // The console writes to both streams, so both must be terminals.
  console_options.color =
      emulator::Style::for_streams(
          emulator::parse_color_mode(args.color).value_or(emulator::ColorMode::kAuto),
          {STDOUT_FILENO, STDERR_FILENO})
          .color();
  emulator::Console console(console_options);

  auto& options = args.options;
  // statefun.yaml sits beside module.yaml; given alone, it says where module.yaml is.
  if (!args.config_path.empty() && !given(dev, "--module")) {
    options.module_path = (fs::path(args.config_path).parent_path() / "module.yaml").string();
  }
  options.config_path = args.config_path.empty()
                            ? emulator::dev_config_path_for(options.module_path)
                            : args.config_path;
  auto overrides = overrides_from(dev, args);
  if (!overrides) {
    console.error(overrides.error().message);
    return 2;
  }
  emulator::DevConfig file;
  std::error_code ec;
  if (!args.config_path.empty() || fs::exists(options.config_path, ec)) {
    auto loaded = emulator::load_dev_config(options.config_path);
    if (!loaded) {
      console.error(loaded.error().message);
      return 1;
    }
    file = std::move(*loaded);
  }
  // `dev -- CMD` in a project whose statefun.yaml runs one process: CMD is
  // that process started another way, so it keeps the project's name.
  if (overrides->process && args.name.empty() && file.processes.size() == 1) {
    overrides->process->name = file.processes.front().name;
  }
  for (const auto& [name, port] : overrides->process_ports) {
    const auto& processes = overrides->process ? std::vector{*overrides->process} : file.processes;
    if (std::ranges::none_of(processes, [&](const auto& p) { return p.name == name; })) {
      console.error(fmt::format("--process-port {}={}: no process named '{}' in {}", name, port,
                                name, options.config_path));
      return 2;
    }
  }
  options.overrides = *overrides;
  options.dev_config = emulator::apply_overrides(std::move(file), options.overrides);
  // --proto adds to statefun.yaml's `protos:` (relative to where you are).
  for (const auto& proto : args.protos) {
    options.dev_config.protos.push_back(fs::absolute(proto).string());
  }
  for (const auto& dir : args.proto_paths) {
    options.dev_config.proto_paths.push_back(fs::absolute(dir).string());
  }
  const auto& settings = options.dev_config.settings;
  if (settings.data_dir) options.data_dir = settings.data_dir;
  if (settings.listen_host) options.listen_host = *settings.listen_host;
  if (settings.admin_port) options.admin_port = *settings.admin_port;
  if (settings.ingress_port) options.ingress_port = settings.ingress_port;
  if (settings.egress_port) options.egress_port = settings.egress_port;
  if (settings.history_versions) options.retention.history_versions = *settings.history_versions;
  if (settings.retention_age) options.retention.max_age_ms = settings.retention_age->count();
  if (settings.retry_max_attempts) options.retry.max_attempts = *settings.retry_max_attempts;
  if (settings.retry_max_age) options.retry.max_age_ms = settings.retry_max_age->count();
  if (settings.retention_size) options.retention.max_bytes = *settings.retention_size;
  if (settings.snapshot_every) options.snapshots.every = *settings.snapshot_every;
  if (settings.snapshot_keep) options.snapshots.keep = *settings.snapshot_keep;
  // At exit too when taken on a period, unless turned off explicitly.
  options.snapshots.on_exit =
      settings.snapshot_on_exit.value_or(options.snapshots.every.count() > 0);
  options.kafka_connect = settings.kafka_connect.value_or(false);
  options.watch_files = !args.no_watch;
  options.synchronous_full = args.sync == "full";
  options.virtual_clock = args.clock == "virtual";
  if (given(dev, "--clock-start")) {
    if (!options.virtual_clock) {
      console.error("--clock-start needs --clock virtual");
      return 2;
    }
    auto start = parse_time_point(args.clock_start, SystemClock().now_ms());
    if (!start) {
      console.error("--clock-start: " + start.error().message);
      return 2;
    }
    options.clock_start_ms = *start;
  }

  return emulator::run_dev(options, console, [&signals] {
    int received = 0;
    sigwait(&signals, &received);
  });
}

}  // namespace

void setup_dev_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<DevArgs>();
  auto* dev = app.add_subcommand("dev", "Run a StateFun application locally against the emulator");
  dev->footer(
      "Examples:\n"
      "  statefun dev                                  # ./module.yaml (+ ./statefun.yaml)\n"
      "  statefun dev -m samples/greeter/module.yaml   # starts the processes of its "
      "statefun.yaml\n"
      "  statefun dev -- node functions.js             # one function process, no statefun.yaml\n"
      "  statefun dev --host functions=localhost -- python3 functions.py\n"
      "  statefun dev -m module.yaml --data /tmp/run1 --admin-port 9092\n"
      "\nFunction processes are restarted when their files change, and module.yaml and\n"
      "statefun.yaml are reloaded when they change (see docs/statefun-yaml.md).\n"
      "Stop with Ctrl-C: everything accepted so far is committed first.");
  dev->add_option("-m,--module", args->options.module_path, "StateFun module.yaml to run")
      ->capture_default_str()
      ->envname("STATEFUN_MODULE");
  dev->add_option("-c,--config", args->config_path,
                  "statefun.yaml with the dev settings (default: the one beside module.yaml)")
      ->envname("STATEFUN_CONFIG");
  dev->add_option("--data", args->data_dir,
                  "Directory for the state database (default: .statefun beside module.yaml)")
      ->envname("STATEFUN_DATA");
  dev->add_option("--admin-port", args->admin_port, "Admin API port on 127.0.0.1")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535))
      ->envname("STATEFUN_ADMIN_PORT");
  dev->add_option("--ingress-port", args->ingress_port,
                  "Override the playground ingress port of module.yaml")
      ->check(CLI::Range(1, 65535))
      ->envname("STATEFUN_INGRESS_PORT");
  dev->add_option("--egress-port", args->egress_port,
                  "Override the playground egress port of module.yaml")
      ->check(CLI::Range(1, 65535))
      ->envname("STATEFUN_EGRESS_PORT");
  dev->add_option("--listen", args->listen_host,
                  "Interface for the playground ingress/egress (0.0.0.0 exposes them)")
      ->capture_default_str()
      ->envname("STATEFUN_LISTEN");
  dev->add_option("--kafka", args->kafka,
                  "Kafka ingresses and egresses of module.yaml: emulate (topics inside statefun "
                  "dev) or connect (the real broker at their address)")
      ->check(CLI::IsMember({"emulate", "connect"}))
      ->capture_default_str()
      ->envname("STATEFUN_KAFKA");
  dev->add_option("--host", args->hosts,
                  "Map a module.yaml host to this machine: NAME=HOST[:PORT], or to a Unix "
                  "socket: NAME=unix:/PATH.sock (repeatable)")
      ->type_name("NAME=HOST")
      ->allow_extra_args(false);
  dev->add_option("--port", args->port,
                  "Port of the function process given after --; it gets PORT set to it")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  dev->add_option("--name", args->name,
                  "Name of the process given after -- (its console prefix; default: the name "
                  "of statefun.yaml's only process, else its script's or program's name)")
      ->type_name("NAME");
  dev->add_option("--watch", args->watch,
                  "Globs of files whose change restarts the process given after -- (default: files "
                  "with its script's extension)")
      ->type_name("GLOB")
      ->allow_extra_args(false);
  dev->add_flag("--no-watch", args->no_watch,
                "Do not restart processes or reload the configuration when files change");
  dev->add_option("--sync", args->sync,
                  "fsync policy of group commits: full (power-loss safe) or normal (crash safe)")
      ->check(CLI::IsMember({"full", "normal"}))
      ->capture_default_str();
  dev->add_option("--snapshot-every", args->snapshot_every,
                  "Take an automatic snapshot this often, e.g. 10m (default: off); one more is "
                  "taken at a clean shutdown")
      ->type_name("DURATION")
      ->envname("STATEFUN_SNAPSHOT_EVERY");
  dev->add_option("--snapshot-keep", args->snapshot_keep,
                  "Automatic snapshots kept (older ones are removed; named ones never)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  dev->add_flag("--snapshot-on-exit,!--no-snapshot-on-exit", args->snapshot_on_exit,
                "Take an automatic snapshot at a clean shutdown (default: when --snapshot-every "
                "is set)");
  dev->add_option("--history-versions", args->history_versions,
                  "State history versions kept per entity (0 = all)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  dev->add_option("--retention", args->retention,
                  "Keep the trace, consumed messages and read egress this long, e.g. 7d (0 = "
                  "forever; default 7d)")
      ->type_name("DURATION")
      ->envname("STATEFUN_RETENTION");
  dev->add_option("--retry-max-attempts", args->retry_max_attempts,
                  "Move a message to the dead letters after this many failed attempts (0 = "
                  "retry forever, the default, as on Flink)")
      ->check(CLI::NonNegativeNumber);
  dev->add_option("--retry-max-age", args->retry_max_age,
                  "Move a message to the dead letters once it has failed for this long, e.g. "
                  "10m (0 = no limit)")
      ->type_name("DURATION");
  dev->add_option("--retention-size", args->retention_size,
                  "Cap the bytes of trace, consumed messages and read egress, pruning the oldest "
                  "first, e.g. 500MB (0 = no cap; default 1GiB)")
      ->type_name("SIZE")
      ->envname("STATEFUN_RETENTION_SIZE");
  dev->add_option("--process-port", args->process_ports,
                  "Run statefun.yaml's process NAME on PORT instead (its env PORT and the "
                  "endpoints that reached it follow), e.g. to run two apps side by side; "
                  "repeatable")
      ->type_name("NAME=PORT")
      ->allow_extra_args(false);
  dev->add_option("--clock", args->clock,
                  "wall (default), or virtual: the application's time stands still and moves "
                  "only with `statefun clock advance|set`, every timer firing at its own time")
      ->check(CLI::IsMember({"wall", "virtual"}))
      ->capture_default_str();
  dev->add_option("--clock-start", args->clock_start,
                  "With --clock virtual: the time it starts at, e.g. 2027-01-01T00:00:00Z "
                  "(default: where it stopped last in this data directory, else now)")
      ->type_name("TIME");
  add_proto_flags(dev, args->protos, args->proto_paths,
                  "A .proto file describing protobuf-typed values, shown decoded by the admin "
                  "API and the web console (repeatable; adds to statefun.yaml's protos:)");
  dev->add_flag("-q,--quiet", args->quiet, "Do not print one line per step");
  dev->add_option("--color", args->color,
                  "Colour: auto (on a terminal, unless NO_COLOR is set), always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  dev->add_option("--log-format", args->log_format,
                  "Console output: plain lines, or json (one object per line)")
      ->check(CLI::IsMember({"plain", "json"}))
      ->capture_default_str()
      ->envname("STATEFUN_LOG_FORMAT");
  dev->add_option("command", args->command,
                  "A function process to start instead of statefun.yaml's: put it after --, "
                  "e.g. -- node functions.js");
  dev->callback([args, dev, &exit_code] { exit_code = run_dev_command(*dev, *args); });
}

}  // namespace statefun::cli
