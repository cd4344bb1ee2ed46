// `statefun trace`: the message flow, one line per step; --follow streams
// new steps (server-sent events, or polling the database offline).
#pragma once

#include <CLI/CLI.hpp>

namespace statefun::cli {

void setup_trace_command(CLI::App& app, int& exit_code);

}  // namespace statefun::cli
