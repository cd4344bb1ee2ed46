#include "cli/init_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <iostream>
#include <set>

#include "cli/output.h"
#include "templates/catalog.h"
#include "templates/render.h"

namespace statefun::cli {
namespace {
namespace fs = std::filesystem;

constexpr std::string_view kDefaultTemplate = "greeter";
constexpr std::string_view kDefaultNamespace = "example";

// Markdown's `code` marks, which the READMEs want and a terminal does not.
std::string plain(std::string_view text) {
  std::string out(text);
  std::erase(out, '`');
  return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

bool is_empty_dir(const fs::path& dir) {
  std::error_code ec;
  return fs::directory_iterator(dir, ec) == fs::directory_iterator();
}

// --- the command ---------------------------------------------------------

struct InitArgs {
  std::string dir;
  std::string language;
  std::string template_name;
  std::string ns;
  bool force = false;
  bool list = false;
  bool yes = false;
};

// Asks on the terminal until `check` accepts the answer (an empty answer is
// `fallback`). Three wrong answers or the end of input give up.
Result<std::string> ask(const std::string& question, const std::string& fallback,
                        const std::function<Result<std::string>(const std::string&)>& check) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::cout << question << (fallback.empty() ? "" : " [" + fallback + "]") << ": " << std::flush;
    std::string answer;
    if (!std::getline(std::cin, answer)) {
      std::cout << "\n";
      return make_error(ErrorCode::kInvalidArgument, "no answer (end of input)");
    }
    answer.erase(0, answer.find_first_not_of(" \t"));
    answer.erase(answer.find_last_not_of(" \t\r") + 1);
    if (answer.empty()) answer = fallback;
    auto checked = check(answer);
    if (checked) return checked;
    std::cout << "  " << checked.error().message << "\n";
  }
  return make_error(ErrorCode::kInvalidArgument, "no valid answer after three tries");
}

Result<std::string> language_answer(const std::string& answer) {
  // A number picks from the list shown above the question.
  const auto& languages = templates::languages();
  if (answer.size() == 1 && answer[0] >= '1' &&
      answer[0] < static_cast<char>('1' + languages.size())) {
    return std::string(languages[answer[0] - '1'].id);
  }
  auto language = templates::find_language(answer);
  if (!language) return std::unexpected(language.error());
  return std::string((*language)->id);
}

Result<std::string> template_answer(std::string_view language, const std::string& answer) {
  const auto names = templates::templates_for(language);
  if (answer.size() == 1 && answer[0] >= '1' && answer[0] < static_cast<char>('1' + names.size())) {
    return names[answer[0] - '1'];
  }
  if (std::ranges::find(names, answer) != names.end()) return answer;
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("unknown template '{}' for {} (choose one of: {})", answer,
                                language, join(names, ", ")));
}

Result<std::string> namespace_answer(const std::string& answer) {
  if (auto ok = templates::check_namespace(answer); !ok) return std::unexpected(ok.error());
  return answer;
}

Result<std::string> directory_answer(const std::string& answer) {
  if (answer.empty()) return make_error(ErrorCode::kInvalidArgument, "a directory is needed");
  return answer;
}

// Fills in what the command line left out: by asking on a terminal, else with
// the defaults (the language has none: it must be given).
Result<void> complete_args(InitArgs& args, bool interactive) {
  if (args.language.empty()) {
    if (!interactive) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("--lang is missing (one of: {}); init asks only on a terminal, "
                                    "and never with --yes",
                                    templates::language_ids()));
    }
    std::cout << "Languages:\n";
    int number = 1;
    for (const auto& language : templates::languages()) {
      std::cout << fmt::format("  {}  {:<7} {}\n", number++, language.id, plain(language.sdk));
    }
    auto answer = ask("Language", "js", language_answer);
    if (!answer) return std::unexpected(answer.error());
    args.language = *answer;
  }
  auto language = templates::find_language(args.language);
  if (!language) return std::unexpected(language.error());
  args.language = std::string((*language)->id);

  if (args.template_name.empty()) {
    if (interactive) {
      std::cout << "Templates:\n";
      int number = 1;
      for (const auto& name : templates::templates_for(args.language)) {
        const auto* info = templates::find_template_info(name);
        std::cout << fmt::format("  {}  {:<14} {}\n", number++, name,
                                 info ? info->summary : std::string_view());
      }
      auto answer = ask("Template", std::string(kDefaultTemplate),
                        [&](const std::string& a) { return template_answer(args.language, a); });
      if (!answer) return std::unexpected(answer.error());
      args.template_name = *answer;
    } else {
      args.template_name = kDefaultTemplate;
    }
  }
  if (auto known = template_answer(args.language, args.template_name); !known) {
    return std::unexpected(known.error());
  }

  if (args.dir.empty()) {
    if (interactive) {
      const std::string fallback = is_empty_dir(".") ? "." : args.template_name;
      auto answer = ask("Directory", fallback, directory_answer);
      if (!answer) return std::unexpected(answer.error());
      args.dir = *answer;
    } else {
      args.dir = ".";
    }
  }

  if (args.ns.empty()) {
    if (interactive) {
      auto answer =
          ask("Namespace of the functions", std::string(kDefaultNamespace), namespace_answer);
      if (!answer) return std::unexpected(answer.error());
      args.ns = *answer;
    } else {
      args.ns = kDefaultNamespace;
    }
  }
  return templates::check_namespace(args.ns);
}

// The target folder: created if missing, refused if it holds anything and
// --force was not given.
Result<void> prepare_directory(const fs::path& dir, bool force) {
  std::error_code ec;
  const auto status = fs::status(dir, ec);
  if (fs::exists(status)) {
    if (!fs::is_directory(status)) {
      return make_error(ErrorCode::kFailedPrecondition,
                        fmt::format("'{}' exists and is not a directory", dir.string()));
    }
    if (!force && !is_empty_dir(dir)) {
      return make_error(ErrorCode::kFailedPrecondition,
                        fmt::format("'{}' is not empty; use --force to write the project into it "
                                    "anyway (files with the same names are overwritten)",
                                    dir.string()));
    }
    return {};
  }
  fs::create_directories(dir, ec);
  if (ec) {
    return make_error(ErrorCode::kIo,
                      fmt::format("cannot create directory '{}': {}", dir.string(), ec.message()));
  }
  return {};
}

std::string shell_quote(const std::string& text) {
  const bool plain = std::ranges::all_of(text, [](unsigned char c) {
    return std::isalnum(c) || std::string_view("/._-+=:,@").find(c) != std::string_view::npos;
  });
  if (plain && !text.empty()) return text;
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

void print_summary(const InitArgs& args, const templates::ProjectChoices& choices,
                   const std::vector<templates::ProjectFile>& files) {
  const Style style = Style::for_stdout("auto");
  const auto* language = *templates::find_language(choices.language);
  const auto values = templates::placeholders(choices);
  std::set<std::string> top;  // top-level files and folders
  for (const auto& file : files) {
    const auto slash = file.path.find('/');
    top.insert(slash == std::string::npos ? file.path : file.path.substr(0, slash + 1));
  }
  std::string out =
      fmt::format("{} a {} {} project in {} (namespace {}, functions in {}):\n  {}\n\n",
                  style.green("Created"), language->name, choices.template_name, args.dir,
                  choices.ns, plain(templates::render_text(language->code, values)),
                  join(std::vector<std::string>(top.begin(), top.end()), "  "));
  out += style.bold("Next:") + "\n";
  if (fs::path(args.dir).lexically_normal() != fs::path(".")) {
    out += fmt::format("  cd {}\n", shell_quote(args.dir));
  }
  out += fmt::format("  statefun dev            # {}; leave it running\n",
                     plain(templates::render_text(language->install, values)));
  out += "  # in another terminal:\n";
  if (const auto* info = templates::find_template_info(choices.template_name)) {
    for (auto command : info->try_commands) {
      out += "  " + templates::render_text(command, values) + "\n";
    }
  }
  out +=
      "  ./ci.sh                 # the end-to-end check a CI job runs (stop statefun dev first)\n";
  out += "README.md says more.\n";
  print(out);
}

void print_list() {
  const Style style = Style::for_stdout("auto");
  Table languages({"LANGUAGE", "NAME", "SDK"});
  for (const auto& language : templates::languages()) {
    languages.add({std::string(language.id), std::string(language.name), plain(language.sdk)});
  }
  Table templates({"TEMPLATE", "LANGUAGES", "WHAT IT SHOWS"});
  for (const auto& info : templates::template_infos()) {
    std::vector<std::string> ids;
    for (const auto& language : templates::languages()) {
      const auto names = templates::templates_for(language.id);
      if (std::ranges::find(names, info.name) != names.end()) ids.emplace_back(language.id);
    }
    if (!ids.empty())
      templates.add({std::string(info.name), join(ids, " "), std::string(info.summary)});
  }
  print(languages.render(style) + "\n" + templates.render(style) +
        "\nstatefun init [DIR] --lang LANGUAGE [--template TEMPLATE] [--namespace NS]\n");
}

int run_init(InitArgs& args) {
  if (args.list) {
    print_list();
    return kExitOk;
  }
  const bool interactive = !args.yes && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
  if (auto completed = complete_args(args, interactive); !completed) {
    return report(completed.error());
  }
  templates::ProjectChoices choices{args.language, args.template_name, args.ns,
                                    templates::project_name_for(fs::path(args.dir))};
  auto files = templates::render_project(choices);
  if (!files) return report(files.error());
  if (auto ready = prepare_directory(args.dir, args.force); !ready) return report(ready.error());
  if (auto written = templates::write_project(args.dir, *files); !written)
    return report(written.error());
  print_summary(args, choices, *files);
  return kExitOk;
}

}  // namespace

void setup_init_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<InitArgs>();
  auto* cmd = app.add_subcommand("init", "Create a new StateFun project from a template");
  cmd->footer(
      "On a terminal, init asks for what the command line leaves out; otherwise (CI,\n"
      "a pipe) it never asks: --lang is then required, the template defaults to greeter,\n"
      "the namespace to example and DIR to the current directory.\n"
      "\n"
      "Examples:\n"
      "  statefun init --list\n"
      "  statefun init my-app --lang js\n"
      "  statefun init cart --lang cpp --template shopping-cart --namespace com.example.shop\n"
      "  cd my-app && statefun dev\n"
      "\nExit codes: 0 created, 1 the directory is not empty or cannot be written,\n"
      "2 unknown language or template, bad namespace.");
  cmd->add_option("dir", args->dir, "Directory to create the project in (default: ask, or .)");
  cmd->add_option("-l,--lang", args->language, "Language: js, python, go, java or cpp");
  cmd->add_option("-t,--template", args->template_name,
                  "Template: greeter, shopping-cart or empty (default greeter)");
  cmd->add_option("-n,--namespace", args->ns, "Namespace of the function types (default example)");
  cmd->add_flag("-f,--force", args->force, "Write into a directory that is not empty");
  cmd->add_flag("-y,--yes", args->yes, "Never ask: use the defaults for what is not given");
  cmd->add_flag("--list", args->list, "List the languages and templates");
  cmd->callback([args, &exit_code] { exit_code = run_init(*args); });
}

}  // namespace statefun::cli
