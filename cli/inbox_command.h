// `statefun inbox ls|drop|retry`: pending messages, with their failed
// attempts and last failure. Listing works offline (database); drop and
// retry need a running emulator, where each is a step of its own.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "cli/output.h"

namespace statefun::cli {

void setup_inbox_command(CLI::App& app, int& exit_code);

// "HTTP 500: boom" plus the body excerpt when there is one, on one line of
// at most `max` characters; "-" when the message never failed. Shared with
// `statefun dead-letters`.
std::string failure_cell(const Json& message, std::size_t max);

}  // namespace statefun::cli
