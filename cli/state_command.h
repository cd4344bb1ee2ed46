// `statefun state ls|get|set|rm|history`: look at and edit the state of entities.
// Reads work offline (database) when no emulator runs; writes need one.
#pragma once

#include <CLI/CLI.hpp>

namespace statefun::cli {

void setup_state_command(CLI::App& app, int& exit_code);

}  // namespace statefun::cli
