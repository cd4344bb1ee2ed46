// `statefun rewind ADDR (--to VERSION | --at TIME | --steps N) [--dry-run]`:
// writes an entity's old values back as a new version (so a rewind can
// itself be undone), between two of its steps. Needs a running emulator.
#pragma once

#include <CLI/CLI.hpp>

namespace statefun::cli {

void setup_rewind_command(CLI::App& app, int& exit_code);

}  // namespace statefun::cli
