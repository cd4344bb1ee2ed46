// What `statefun init` can write: the languages (with what their README
// says about each) and the templates embedded for each language
// (templates/embedded.h). templates/render.h turns a choice into files.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runtime/core/result.h"

namespace statefun::templates {

// A language `statefun init --lang` accepts. The texts may hold the project
// placeholders ({{project}}, {{java_package_path}}, ...; templates/render.h).
struct Language {
  std::string_view id;             // the --lang value and the templates/ folder: "js"
  std::string_view name;           // "JavaScript"
  std::string_view aliases;        // other --lang spellings, space-separated
  std::string_view sdk;            // the SDK and its pinned version (Markdown)
  std::string_view prerequisites;  // what must be installed before `statefun dev`
  std::string_view code;           // where the function code is (Markdown)
  std::string_view install;        // what statefun.yaml's command does first
  // The Debian packages a project of this language builds with, space-
  // separated; the one list the README ({{prerequisites}}) and the build
  // files ({{debian_packages}}) quote. Empty when a language registry
  // supplies everything.
  std::string_view debian_packages;
};

// The languages, in the order `--list` shows them.
const std::vector<Language>& languages();

// The language an --lang value names (its id or an alias, any case), or
// kInvalidArgument listing the valid ones.
Result<const Language*> find_language(std::string_view text);

// The --lang values, comma-separated: "js, python, go, java, cpp".
std::string language_ids();

// The templates embedded for a language: the described ones first, in the
// order `--list` shows them ("greeter", "shopping-cart", "empty"), then any
// other in name order.
std::vector<std::string> templates_for(std::string_view language_id);

// A template `--list` describes.
struct TemplateInfo {
  std::string_view name;
  std::string_view summary;  // one line for --list and the prompt
  // The commands to try once `statefun dev` runs (with project placeholders).
  std::vector<std::string_view> try_commands;
};

// The described templates, in the order `--list` shows them.
const std::vector<TemplateInfo>& template_infos();

// The description of a template; null when it has none.
const TemplateInfo* find_template_info(std::string_view name);

}  // namespace statefun::templates
