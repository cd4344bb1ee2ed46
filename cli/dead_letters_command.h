// `statefun dead-letters ls|show|replay|drop`: messages taken out of the
// inbox (their retry policy ran out, or `statefun inbox drop`). Listing and
// show work offline (database); replay and drop need a running emulator,
// where each is a step of its own.
#pragma once

#include <CLI/CLI.hpp>

namespace statefun::cli {

void setup_dead_letters_command(CLI::App& app, int& exit_code);

}  // namespace statefun::cli
