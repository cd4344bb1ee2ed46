// `statefun test [FILES|DIRS...]`: runs the application's scenario files
// (docs/testing.md), each scenario against a fresh `statefun dev` on a
// virtual clock, independent scenarios side by side (--jobs), and reports
// each with what differed; `--junit FILE` for CI. Exit 0 when all pass, 1
// when one fails, 2 for a bad scenario file, 3 when there are none.
#pragma once

#include <CLI/CLI.hpp>

namespace statefun::cli {

void setup_test_command(CLI::App& app, int& exit_code);

}  // namespace statefun::cli
