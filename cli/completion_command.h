// `statefun completion bash|zsh`: a shell completion script, generated from
// the command tree itself so it never goes stale.
#pragma once

#include <CLI/CLI.hpp>

namespace statefun::cli {

void setup_completion_command(CLI::App& app, int& exit_code);

}  // namespace statefun::cli
