// `statefun egress ls|read`: egress topics and their records, read from an
// offset without consuming them. Works offline (database) too.
#pragma once

#include <CLI/CLI.hpp>

namespace statefun::cli {

void setup_egress_command(CLI::App& app, int& exit_code);

}  // namespace statefun::cli
