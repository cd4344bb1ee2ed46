// `statefun dev`: run a StateFun application locally against the emulator.
#pragma once

#include <CLI/CLI.hpp>

namespace statefun::cli {

// Registers the subcommand; its callback runs the emulator and stores the
// exit code in `exit_code`.
void setup_dev_command(CLI::App& app, int& exit_code);

}  // namespace statefun::cli
