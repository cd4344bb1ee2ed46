#include "cli/app.h"

#include <CLI/CLI.hpp>
#include <chrono>

#include "cli/dev_command.h"

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
  setup_dev_command(app, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  return exit_code;
}

}  // namespace statefun::cli
