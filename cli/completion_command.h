// `statefun completion bash|zsh|fish`: a shell completion script. The
// scripts are small: on every TAB they call `statefun __complete` with the
// words typed (complete_command.h), which reads them against the live
// command tree and the running emulator or its data directory, so neither
// the commands nor the addresses, states, topics, timers and snapshots they
// offer go stale.
#pragma once

#include <CLI/CLI.hpp>

namespace statefun::cli {

void setup_completion_command(CLI::App& app, int& exit_code);

}  // namespace statefun::cli
