// `statefun status`: whether an emulator runs, its ports, functions, counts.
#pragma once

#include <CLI/CLI.hpp>

namespace statefun::cli {

void setup_status_command(CLI::App& app, int& exit_code);

}  // namespace statefun::cli
