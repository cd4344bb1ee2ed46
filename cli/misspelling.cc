#include "cli/misspelling.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "runtime/core/spelling.h"

namespace statefun::cli {
namespace {

std::vector<const CLI::App*> subcommands_of(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App*) { return true; });
}

const CLI::App* find_subcommand(const CLI::App& app, const std::string& word) {
  for (const CLI::App* sub : subcommands_of(app)) {
    if (sub->check_name(word)) return sub;
  }
  return nullptr;
}

// The long option `name` ("--type") of `app` or of a parent that passes its
// options down; nullptr when none has it.
const CLI::Option* find_long_option(const CLI::App& app, const std::string& name) {
  for (const CLI::App* at = &app; at != nullptr; at = at->get_parent()) {
    for (const CLI::Option* option : at->get_options()) {
      for (const auto& long_name : option->get_lnames()) {
        if ("--" + long_name == name) return option;
      }
    }
    if (!at->get_fallthrough()) break;
  }
  return nullptr;
}

std::vector<std::string> long_option_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* option : app.get_options()) {
    for (const auto& long_name : option->get_lnames()) names.push_back("--" + long_name);
  }
  return names;
}

std::string command_path(const CLI::App& app) {
  std::string path = app.get_name();
  for (const CLI::App* at = app.get_parent(); at != nullptr; at = at->get_parent()) {
    path = at->get_name() + " " + path;
  }
  return path;
}

std::string hint(const std::string& word, const std::vector<std::string>& candidates) {
  auto nearest = closest_match(word, candidates);
  return nearest ? fmt::format(" (did you mean '{}'?)", *nearest) : std::string();
}

}  // namespace

std::optional<std::string> misspelling_message(const CLI::App& root,
                                               const std::vector<std::string>& args) {
  const CLI::App* at = &root;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (word == "--") break;  // what follows belongs to a child command
    if (word.rfind("--", 0) == 0) {
      const std::string name = word.substr(0, word.find('='));
      const CLI::Option* option = find_long_option(*at, name);
      if (option == nullptr) {
        return fmt::format("{}: unknown option '{}'{}", command_path(*at), name,
                           hint(name, long_option_names(*at)));
      }
      // A value in the next word: skip it, it is not a command.
      if (name.size() == word.size() && option->get_type_size_max() > 0) ++i;
      continue;
    }
    if (word.size() > 1 && word[0] == '-') continue;  // short options: left to the parser
    if (const CLI::App* sub = find_subcommand(*at, word)) {
      at = sub;
      continue;
    }
    if (at->get_require_subcommand_min() > 0 && !subcommands_of(*at).empty()) {
      std::vector<std::string> names;
      for (const CLI::App* sub : subcommands_of(*at)) names.push_back(sub->get_name());
      return fmt::format("{}: unknown command '{}'{}", command_path(*at), word, hint(word, names));
    }
    // A positional argument of a command with no subcommands: keep checking flags.
  }
  return std::nullopt;
}

}  // namespace statefun::cli
