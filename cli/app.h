// Builds the `statefun` command line and runs it. Exit codes: 0 ok,
// 1 failure, 2 usage error, 3 not found, 4 timed out.
#pragma once

namespace statefun::cli {

int run(int argc, char** argv);

}  // namespace statefun::cli
