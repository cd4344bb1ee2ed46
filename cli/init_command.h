// `statefun init`: asks for (or takes from the command line) a language, a
// template, a directory and a namespace, has the templates library render
// the project (templates/render.h; layout in templates/README.md), writes it
// and prints what to do next.
#pragma once

#include <CLI/CLI.hpp>

namespace statefun::cli {

// Registers the subcommand; its callback stores the exit code in `exit_code`.
void setup_init_command(CLI::App& app, int& exit_code);

}  // namespace statefun::cli
