// `statefun wait`: block until the emulator is idle (exit 4 on timeout).
#pragma once

#include <CLI/CLI.hpp>

namespace statefun::cli {

void setup_wait_command(CLI::App& app, int& exit_code);

}  // namespace statefun::cli
