// `statefun __complete WORD... CURRENT`: what the completion scripts of
// `statefun completion bash|zsh|fish` call on every TAB. It reads the words
// typed so far against the live command tree (subcommands, flags and which
// flags take a value) and prints the candidates for the last word, one per
// line, as `candidate` or `candidate<TAB>description`:
//   - subcommands and flags, from the command tree;
//   - addresses, function types, state names, egress topics, Kafka/Kinesis
//     topics (`topic ...`), timer ids and snapshot names, from the running
//     emulator's admin API or, when none runs, its data directory
//     (read-only), found as the other commands find them (--admin-port,
//     --data, -m on the line typed, or STATEFUN_*);
//   - languages and templates (`init --lang/--template`), shells, and the
//     values of flags that take one of a fixed set.
// Nothing printed means "complete file names". It never fails: an emulator
// or database that cannot be read just gives no candidates (exit 0).
// Hidden: not in --help, not itself completed.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace statefun::cli {

inline constexpr const char* kCompleteCommand = "__complete";

// Prints the candidates for `words` (the words after "statefun"; the last
// is the one being completed, possibly empty) against `root`. Returns the
// exit code (0).
int run_complete(const CLI::App& root, const std::vector<std::string>& words);

}  // namespace statefun::cli
