#include "cli/app.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "cli/clock_command.h"
#include "cli/complete_command.h"
#include "cli/completion_command.h"
#include "cli/dead_letters_command.h"
#include "cli/deploy_command.h"
#include "cli/dev_command.h"
#include "cli/egress_command.h"
#include "cli/inbox_command.h"
#include "cli/init_command.h"
#include "cli/misspelling.h"
#include "cli/replay_command.h"
#include "cli/rewind_command.h"
#include "cli/send_command.h"
#include "cli/snapshot_command.h"
#include "cli/state_command.h"
#include "cli/status_command.h"
#include "cli/test_command.h"
#include "cli/timers_command.h"
#include "cli/topic_command.h"
#include "cli/trace_command.h"
#include "cli/wait_command.h"

namespace statefun::cli {

int run(int argc, char** argv) {
  CLI::App app{
      "statefun: the local development environment for Stateful Functions "
      "(Apache Flink StateFun)"};
  app.name("statefun");
  app.set_version_flag("--version", std::string("statefun ") + STATEFUN_VERSION);
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 ok, 1 failure, 2 usage error, 3 not found, 4 timed out.\n"
      "Run 'statefun <command> --help' for a command's options and examples.");

  int exit_code = 0;
  setup_init_command(app, exit_code);
  setup_dev_command(app, exit_code);
  setup_send_command(app, exit_code);
  setup_state_command(app, exit_code);
  setup_rewind_command(app, exit_code);
  setup_replay_command(app, exit_code);
  setup_snapshot_command(app, exit_code);
  setup_egress_command(app, exit_code);
  setup_topic_command(app, exit_code);
  setup_timers_command(app, exit_code);
  setup_clock_command(app, exit_code);
  setup_test_command(app, exit_code);
  setup_inbox_command(app, exit_code);
  setup_dead_letters_command(app, exit_code);
  setup_trace_command(app, exit_code);
  setup_wait_command(app, exit_code);
  setup_status_command(app, exit_code);
  setup_deploy_command(app, exit_code);
  setup_completion_command(app, exit_code);

  // The completion scripts' helper reads any words, flags included, so
  // the parser never sees them.
  if (argc >= 2 && std::string(argv[1]) == kCompleteCommand) {
    return run_complete(app, std::vector<std::string>(argv + 2, argv + argc));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // A misspelt command or flag gets a did-you-mean rather than the
    // parser's "A subcommand is required".
    if (auto message = misspelling_message(app, std::vector<std::string>(argv + 1, argv + argc))) {
      std::cerr << *message << "\nRun with --help for more information.\n";
      return 2;
    }
    app.exit(e);
    return 2;
  }
  return exit_code;
}

}  // namespace statefun::cli
