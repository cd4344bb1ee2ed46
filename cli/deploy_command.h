// `statefun deploy k8s|compose`: reads the project in the current folder (or
// --project), plans its deployment to a real Apache Flink StateFun cluster
// (cli/deploy_plan.h), renders it (cli/deploy_render.h) and writes the files
// into --out (default deploy/<target> in the project). An output folder that
// already holds something else is only written with --force; one that holds
// exactly these files is left alone. docs/deploy.md is the user's guide.
#pragma once

#include <CLI/CLI.hpp>

namespace statefun::cli {

// Registers the subcommand; its callback stores the exit code in `exit_code`.
void setup_deploy_command(CLI::App& app, int& exit_code);

}  // namespace statefun::cli
