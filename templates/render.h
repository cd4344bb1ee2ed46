// Renders a `statefun init` project from the embedded templates
// (templates/embedded.h; layout in templates/README.md) and writes it.
//
// A project for language L and template T is the union of three folders of
// templates/, later ones winning for the same path:
//   _all/T/      what every language shares (module.yaml, ci.sh, README.md)
//   L/_common/   what every template of L shares (statefun.yaml, dependencies)
//   L/T/         the function code
// Every `{{name}}` placeholder in a file's text and path is replaced by its
// value (see placeholders()); any other text, `{{` included, stays as it is.
// A file stored as `gitignore` is written as `.gitignore`.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/core/result.h"

namespace statefun::templates {

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
struct ProjectChoices {
  std::string language;  // a Language id (templates/catalog.h)
  std::string template_name;
  std::string ns;       // the functions' namespace
  std::string project;  // see project_name_for()
};

// The value of every placeholder for these choices: project, namespace,
// java_package, java_package_path, and from the language: language, sdk,
// prerequisites, code, install, debian_packages.
std::map<std::string, std::string> placeholders(const ProjectChoices& choices);

// Replaces every `{{name}}` whose name is in `values`; leaves the rest.
std::string render_text(std::string_view text, const std::map<std::string, std::string>& values);

// One file of a rendered project.
struct ProjectFile {
  std::string path;  // relative, '/'-separated
  std::string content;
  bool executable = false;  // written 0755, else 0644
};

// The project's files, sorted by path. kInvalidArgument for a language or
// template that is not embedded.
Result<std::vector<ProjectFile>> render_project(const ProjectChoices& choices);

// Writes `files` under `dir`, creating folders and setting modes; kIo naming
// the file on failure. Existing files with the same paths are overwritten.
Result<void> write_project(const std::filesystem::path& dir, const std::vector<ProjectFile>& files);

}  // namespace statefun::templates
