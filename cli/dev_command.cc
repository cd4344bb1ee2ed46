#include "cli/dev_command.h"

#include <unistd.h>

#include <csignal>
#include <memory>

#include "emulator/dev_server.h"

namespace statefun::cli {
namespace {

struct DevArgs {
  emulator::DevOptions options;
  std::string data_dir;
  int ingress_port = 0;
  int egress_port = 0;
  bool quiet = false;
  std::string color = "auto";
  std::string sync = "normal";
};

// SIGINT/SIGTERM are blocked in every thread and collected here, so the
// shutdown runs on the main thread with the usual locks, not in a handler.
void block_shutdown_signals(sigset_t& set) {
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int run_dev_command(DevArgs& args) {
  sigset_t signals;
  block_shutdown_signals(signals);  // before any thread starts
  signal(SIGPIPE, SIG_IGN);         // a client hanging up must not kill us

  auto& options = args.options;
  if (!args.data_dir.empty()) options.data_dir = args.data_dir;
  if (args.ingress_port) options.ingress_port = args.ingress_port;
  if (args.egress_port) options.egress_port = args.egress_port;
  options.synchronous_full = args.sync == "full";

  emulator::ConsoleOptions console_options;
  console_options.quiet = args.quiet;
  console_options.color = args.color == "always" ||
                          (args.color == "auto" && isatty(STDOUT_FILENO) && isatty(STDERR_FILENO));
  emulator::Console console(console_options);

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
      "  statefun dev                                  # ./module.yaml, state in ./.statefun\n"
      "  statefun dev -m samples/greeter/module.yaml\n"
      "  statefun dev -m module.yaml --data /tmp/run1 --admin-port 9092\n"
      "\nStop with Ctrl-C: everything accepted so far is committed first.");
  dev->add_option("-m,--module", args->options.module_path, "StateFun module.yaml to run")
      ->capture_default_str()
      ->envname("STATEFUN_MODULE");
  dev->add_option("--data", args->data_dir,
                  "Directory for the state database (default: .statefun beside module.yaml)")
      ->envname("STATEFUN_DATA");
  dev->add_option("--admin-port", args->options.admin_port, "Admin API port on 127.0.0.1")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535))
      ->envname("STATEFUN_ADMIN_PORT");
  dev->add_option("--ingress-port", args->ingress_port,
                  "Override the playground ingress port of module.yaml")
      ->check(CLI::Range(1, 65535));
  dev->add_option("--egress-port", args->egress_port,
                  "Override the playground egress port of module.yaml")
      ->check(CLI::Range(1, 65535));
  dev->add_option("--listen", args->options.listen_host,
                  "Interface for the playground ingress/egress (0.0.0.0 exposes them)")
      ->capture_default_str();
  dev->add_option("--sync", args->sync,
                  "fsync policy of group commits: full (power-loss safe) or normal (crash safe)")
      ->check(CLI::IsMember({"full", "normal"}))
      ->capture_default_str();
  dev->add_flag("-q,--quiet", args->quiet, "Do not print one line per step");
  dev->add_option("--color", args->color, "Colour output: auto, always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  dev->callback([args, &exit_code] { exit_code = run_dev_command(*args); });
}

}  // namespace statefun::cli
