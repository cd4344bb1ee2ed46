// `statefun timers ls|cancel|fire`: pending delayed messages. Listing works
// offline (database); cancel and fire need a running emulator.
#pragma once

#include <CLI/CLI.hpp>

namespace statefun::cli {

void setup_timers_command(CLI::App& app, int& exit_code);

}  // namespace statefun::cli
