// `statefun clock now|advance|set`: the application's clock in a running
// `statefun dev`. `now` works in either mode; advance and set move the
// virtual clock of `statefun dev --clock virtual`, every timer due on the
// way firing at its own time (docs/testing.md).
#pragma once

#include <CLI/CLI.hpp>

namespace statefun::cli {

void setup_clock_command(CLI::App& app, int& exit_code);

}  // namespace statefun::cli
