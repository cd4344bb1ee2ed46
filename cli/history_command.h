// `statefun state history ADDR [NAME]`: every version of an entity's state,
// with the step, time and message that caused it. Works offline (database)
// when no emulator runs. Registered under `statefun state`.
#pragma once

#include <CLI/CLI.hpp>

namespace statefun::cli {

void setup_history_command(CLI::App& state, int& exit_code);

}  // namespace statefun::cli
