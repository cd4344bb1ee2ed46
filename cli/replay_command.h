// `statefun replay ADDR --from VERSION [--dry-run]`: rewinds an entity and
// delivers again, in their original order, the messages it received since
// that version, to the function as it is now. --dry-run calls the function
// with them and prints what would change, committing nothing. Needs a
// running emulator.
#pragma once

#include <CLI/CLI.hpp>

namespace statefun::cli {

void setup_replay_command(CLI::App& app, int& exit_code);

}  // namespace statefun::cli
