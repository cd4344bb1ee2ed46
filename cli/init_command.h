// `statefun init`: write a new StateFun project from the templates embedded
// in the binary (templates/embedded.h, layout in templates/README.md).
//
// A project for language L and template T is the union of three folders of
// templates/, later ones winning for the same path:
//   _all/T/      what every language shares (module.yaml, ci.sh)
//   L/_common/   what every template of L shares (statefun.yaml, dependencies)
//   L/T/         the function code and the README
// Every `{{name}}` placeholder in a file's text and path is replaced by its
// value (see placeholders()); any other text, `{{` included, stays as it is.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/core/result.h"

namespace statefun::cli {

// A language `statefun init --lang` accepts, and what its README says.
struct InitLanguage {
  std::string_view id;             // the --lang value and the templates/ folder: "js"
  std::string_view name;           // "JavaScript"
  std::string_view aliases;        // other --lang spellings, space-separated
  std::string_view sdk;            // the SDK and its pinned version
  std::string_view prerequisites;  // what must be installed before `statefun dev`
  std::string_view code;           // where the function code is
  std::string_view install;        // what statefun.yaml's command does first
};

// The languages, in the order `--list` shows them.
const std::vector<InitLanguage>& init_languages();

// The language an --lang value names (its id or an alias, any case), or an
// error listing the valid ones (kInvalidArgument).
Result<const InitLanguage*> find_language(std::string_view text);

// The templates embedded for a language, sorted: "empty", "greeter", ...
std::vector<std::string> templates_for(std::string_view language_id);

// One line about a template for --list and the prompt ("" if unknown).
std::string_view template_summary(std::string_view template_name);

// Checks a StateFun namespace: letters, digits, '.', '-', '_', starting and
// ending with a letter or digit (e.g. example, com.example.shop). A slash is
// refused with a reason (a function type is NAMESPACE/NAME).
Result<void> check_namespace(std::string_view ns);

// The project name for a directory: its last component, lower-cased, with
// every run of characters other than [a-z0-9._-] turned into '-' (valid as an
// npm package, Go module, Maven artifact and CMake project name).
// "statefun-app" when nothing is left.
std::string project_name_for(const std::filesystem::path& dir);

// The Java package for a namespace: its dot-separated parts, each reduced to
// [a-z0-9_], with '_' added before a leading digit and after a Java keyword
// ("com.example" -> "com.example", "my-shop" -> "my_shop").
std::string java_package_for(std::string_view ns);

// What the user chose; every field is checked already.
struct InitChoices {
  std::string language;  // an InitLanguage id
  std::string template_name;
  std::string ns;       // the functions' namespace
  std::string project;  // see project_name_for()
};

// The value of every placeholder for these choices: project, namespace,
// java_package, java_package_path, language, sdk, prerequisites, code, install.
std::map<std::string, std::string> placeholders(const InitChoices& choices);

// Replaces every `{{name}}` whose name is in `values`; leaves the rest.
std::string render_text(std::string_view text, const std::map<std::string, std::string>& values);

// One file of a rendered project.
struct ProjectFile {
  std::string path;  // relative, '/'-separated
  std::string content;
  bool executable = false;
};

// The project's files, sorted by path. kInvalidArgument for a language or
// template that is not embedded.
Result<std::vector<ProjectFile>> render_project(const InitChoices& choices);

// Writes `files` under `dir`, creating folders and setting modes; kIo naming
// the file on failure.
Result<void> write_project(const std::filesystem::path& dir, const std::vector<ProjectFile>& files);

// Registers the subcommand; its callback stores the exit code in `exit_code`.
void setup_init_command(CLI::App& app, int& exit_code);

}  // namespace statefun::cli
