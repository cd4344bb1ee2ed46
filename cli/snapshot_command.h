// `statefun snapshot create [NAME] | ls | restore NAME | diff A [B] | rm NAME`:
// whole-application snapshots (state, inbox, timers, history, egress,
// trace). Through the running emulator when one answers, else directly on
// the data directory (restore then makes sure no statefun dev uses it).
#pragma once

#include <CLI/CLI.hpp>

namespace statefun::cli {

void setup_snapshot_command(CLI::App& app, int& exit_code);

}  // namespace statefun::cli
