// `statefun send ADDR`: send one message to a function through the admin
// API of a running emulator, optionally waiting for what it caused.
#pragma once

#include <CLI/CLI.hpp>

namespace statefun::cli {

void setup_send_command(CLI::App& app, int& exit_code);

}  // namespace statefun::cli
