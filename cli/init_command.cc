#include "cli/init_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <functional>
#include <iostream>
#include <set>

#include "cli/output.h"
#include "templates/embedded.h"

namespace statefun::cli {
namespace {
namespace fs = std::filesystem;

constexpr std::string_view kDefaultTemplate = "greeter";
constexpr std::string_view kDefaultNamespace = "example";

// What --list and the prompt say about each template, and the commands to try
// once `statefun dev` runs (rendered like a template file).
struct TemplateInfo {
  std::string_view name;
  std::string_view summary;
  std::vector<std::string_view> try_commands;
};

const std::vector<TemplateInfo>& template_infos() {
  static const std::vector<TemplateInfo> infos = {
      {"greeter",
       "the StateFun playground's greeter: per-person state, a message between two functions, "
       "greetings on an egress topic",
       {"statefun send {{namespace}}/person/Bob --type {{namespace}}/GreetRequest "
        "--json '{\"name\":\"Bob\"}' --wait"}},
      {"shopping-cart",
       "a cart and an inventory that message each other (request and reply), receipts on an "
       "egress topic",
       {"statefun send {{namespace}}/inventory/socks --type {{namespace}}/Restock "
        "--json '{\"quantity\":5}'",
        "statefun send {{namespace}}/cart/alice --type {{namespace}}/AddToCart "
        "--json '{\"item\":\"socks\",\"quantity\":3}' --wait"}},
      {"empty",
       "one function with one state and one egress topic, to start from",
       {"statefun send {{namespace}}/hello/world --type {{namespace}}/Hello --json '{}' --wait"}},
  };
  return infos;
}

const TemplateInfo* find_template_info(std::string_view name) {
  for (const auto& info : template_infos()) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

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

std::string language_ids() {
  std::vector<std::string> ids;
  for (const auto& language : init_languages()) ids.emplace_back(language.id);
  return join(ids, ", ");
}

// "a/b/c" -> ("a", "b/c"); no slash -> (path, "").
std::pair<std::string_view, std::string_view> split_first(std::string_view path) {
  const auto slash = path.find('/');
  if (slash == std::string_view::npos) return {path, {}};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

bool is_java_keyword(std::string_view word) {
  static const std::set<std::string_view> keywords = {
      "abstract",  "assert",       "boolean",  "break",      "byte",    "case",       "catch",
      "char",      "class",        "const",    "continue",   "default", "do",         "double",
      "else",      "enum",         "extends",  "false",      "final",   "finally",    "float",
      "for",       "goto",         "if",       "implements", "import",  "instanceof", "int",
      "interface", "long",         "native",   "new",        "null",    "package",    "private",
      "protected", "public",       "return",   "short",      "static",  "strictfp",   "super",
      "switch",    "synchronized", "this",     "throw",      "throws",  "transient",  "true",
      "try",       "void",         "volatile", "while",      "var",     "record",     "yield",
      "sealed",    "permits",      "_"};
  return keywords.contains(word);
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
  const auto& languages = init_languages();
  if (answer.size() == 1 && answer[0] >= '1' &&
      answer[0] < static_cast<char>('1' + languages.size())) {
    return std::string(languages[answer[0] - '1'].id);
  }
  auto language = find_language(answer);
  if (!language) return std::unexpected(language.error());
  return std::string((*language)->id);
}

Result<std::string> template_answer(std::string_view language, const std::string& answer) {
  const auto names = templates_for(language);
  if (answer.size() == 1 && answer[0] >= '1' && answer[0] < static_cast<char>('1' + names.size())) {
    return names[answer[0] - '1'];
  }
  if (std::ranges::find(names, answer) != names.end()) return answer;
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("unknown template '{}' for {} (choose one of: {})", answer,
                                language, join(names, ", ")));
}

Result<std::string> namespace_answer(const std::string& answer) {
  if (auto ok = check_namespace(answer); !ok) return std::unexpected(ok.error());
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
                                    language_ids()));
    }
    std::cout << "Languages:\n";
    int number = 1;
    for (const auto& language : init_languages()) {
      std::cout << fmt::format("  {}  {:<7} {}\n", number++, language.id, plain(language.sdk));
    }
    auto answer = ask("Language", "js", language_answer);
    if (!answer) return std::unexpected(answer.error());
    args.language = *answer;
  }
  auto language = find_language(args.language);
  if (!language) return std::unexpected(language.error());
  args.language = std::string((*language)->id);

  if (args.template_name.empty()) {
    if (interactive) {
      std::cout << "Templates:\n";
      int number = 1;
      for (const auto& name : templates_for(args.language)) {
        std::cout << fmt::format("  {}  {:<14} {}\n", number++, name, template_summary(name));
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
  return check_namespace(args.ns);
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

void print_summary(const InitArgs& args, const InitChoices& choices,
                   const std::vector<ProjectFile>& files) {
  const Style style = Style::for_stdout("auto");
  const auto* language = *find_language(choices.language);
  std::set<std::string> top;  // top-level files and folders
  for (const auto& file : files) {
    const auto [first, rest] = split_first(file.path);
    top.insert(std::string(first) + (rest.empty() ? "" : "/"));
  }
  std::string out =
      fmt::format("{} a {} {} project in {} (namespace {}, functions in {}):\n  {}\n\n",
                  style.green("Created"), language->name, choices.template_name, args.dir,
                  choices.ns, plain(render_text(language->code, placeholders(choices))),
                  join(std::vector<std::string>(top.begin(), top.end()), "  "));
  out += style.bold("Next:") + "\n";
  if (fs::path(args.dir).lexically_normal() != fs::path(".")) {
    out += fmt::format("  cd {}\n", shell_quote(args.dir));
  }
  out += fmt::format("  statefun dev            # {}; leave it running\n",
                     plain(render_text(language->install, placeholders(choices))));
  out += "  # in another terminal:\n";
  if (const auto* info = find_template_info(choices.template_name)) {
    for (auto command : info->try_commands) {
      out += "  " + render_text(command, placeholders(choices)) + "\n";
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
  for (const auto& language : init_languages()) {
    languages.add({std::string(language.id), std::string(language.name), plain(language.sdk)});
  }
  Table templates({"TEMPLATE", "LANGUAGES", "WHAT IT SHOWS"});
  for (const auto& info : template_infos()) {
    std::vector<std::string> ids;
    for (const auto& language : init_languages()) {
      const auto names = templates_for(language.id);
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
  InitChoices choices{args.language, args.template_name, args.ns,
                      project_name_for(fs::path(args.dir))};
  auto files = render_project(choices);
  if (!files) return report(files.error());
  if (auto ready = prepare_directory(args.dir, args.force); !ready) return report(ready.error());
  if (auto written = write_project(args.dir, *files); !written) return report(written.error());
  print_summary(args, choices, *files);
  return kExitOk;
}

}  // namespace

// --- templates and names -------------------------------------------------

const std::vector<InitLanguage>& init_languages() {
  static const std::vector<InitLanguage> languages = {
      {"js", "JavaScript", "javascript node nodejs",
       "the official JavaScript SDK (npm `apache-flink-statefun` 3.3.0)",
       "Node.js 18 or newer, with npm", "`functions.js`",
       "runs `npm install` (the versions pinned in package-lock.json), then "
       "`node functions.js`"},
      {"python", "Python", "py python3",
       "the official Python SDK (PyPI `apache-flink-statefun` 3.3.0), served with aiohttp",
       "Python 3.9 or newer, with the venv module (Debian: python3-venv)", "`functions.py`",
       "creates a virtualenv in `.venv`, runs `pip install -r requirements.txt` (pinned "
       "versions), then `python functions.py`"},
      {"go", "Go", "golang",
       "the official Go SDK (`github.com/apache/flink-statefun/statefun-sdk-go/v3` v3.3.0)",
       "Go 1.21 or newer", "`main.go`",
       "runs `go run .`, which downloads the modules pinned in go.sum and builds"},
      {"java", "Java", "jvm",
       "the official Java SDK (`org.apache.flink:statefun-sdk-java` 3.3.0), served with Undertow",
       "JDK 17 or newer and Maven 3.8 or newer", "`src/main/java/{{java_package_path}}/App.java`",
       "runs `mvn package` (the versions pinned in pom.xml), then "
       "`java -jar target/{{project}}.jar`"},
      {"cpp", "C++", "c++ cxx",
       "statefun's C++ SDK (copied into `statefun_sdk/`, built with the project)",
       "g++ 12 or newer, CMake 3.25 or newer, and protobuf, cpp-httplib, nlohmann-json and fmt "
       "(Debian 12: `apt-get install g++ cmake pkg-config protobuf-compiler libprotobuf-dev "
       "libcpp-httplib-dev libssl-dev zlib1g-dev libbrotli-dev nlohmann-json3-dev libfmt-dev`)",
       "`main.cc`",
       "builds with CMake into `build/` (the first build takes a minute), then runs "
       "`build/functions`"},
  };
  return languages;
}

Result<const InitLanguage*> find_language(std::string_view text) {
  const std::string wanted = lower(text);
  for (const auto& language : init_languages()) {
    if (wanted == language.id) return &language;
    std::string_view aliases = language.aliases;
    while (!aliases.empty()) {
      const auto space = aliases.find(' ');
      if (aliases.substr(0, space) == wanted) return &language;
      aliases = space == std::string_view::npos ? "" : aliases.substr(space + 1);
    }
  }
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("unknown language '{}' (choose one of: {})", text, language_ids()));
}

std::vector<std::string> templates_for(std::string_view language_id) {
  std::set<std::string> names;
  for (const auto& file : templates::embedded_files()) {
    const auto [language, rest] = split_first(file.path);
    if (language != language_id) continue;
    const auto [name, inside] = split_first(rest);
    if (!inside.empty() && !name.starts_with('_')) names.emplace(name);
  }
  // The templates --list describes come first, in its order; others after.
  std::vector<std::string> ordered;
  for (const auto& info : template_infos()) {
    if (names.erase(std::string(info.name))) ordered.emplace_back(info.name);
  }
  ordered.insert(ordered.end(), names.begin(), names.end());
  return ordered;
}

std::string_view template_summary(std::string_view template_name) {
  const auto* info = find_template_info(template_name);
  return info ? info->summary : std::string_view();
}

Result<void> check_namespace(std::string_view ns) {
  auto invalid = [&](std::string_view why) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("namespace '{}' is not valid: {}", ns, why));
  };
  if (ns.empty()) return invalid("it is empty");
  if (ns.find('/') != std::string_view::npos) {
    return invalid(
        "it may not contain '/' (a function type is NAMESPACE/NAME, e.g. com.example/greeter)");
  }
  for (unsigned char c : ns) {
    if (!std::isalnum(c) && c != '.' && c != '-' && c != '_') {
      return invalid(
          fmt::format("'{}' is not allowed (use letters, digits, '.', '-' and '_')",
                      std::isprint(c) ? std::string(1, c) : fmt::format("\\x{:02x}", c)));
    }
  }
  if (!std::isalnum(static_cast<unsigned char>(ns.front())) ||
      !std::isalnum(static_cast<unsigned char>(ns.back()))) {
    return invalid("it must start and end with a letter or a digit");
  }
  if (ns.find("..") != std::string_view::npos) return invalid("it has an empty part ('..')");
  return {};
}

std::string project_name_for(const fs::path& dir) {
  fs::path normal = fs::absolute(dir).lexically_normal();
  if (normal.filename().empty()) normal = normal.parent_path();
  std::string name;
  for (unsigned char c : lower(normal.filename().string())) {
    const bool valid = std::isalnum(c) || c == '.' || c == '_' || c == '-';
    if (valid) {
      name += static_cast<char>(c);
    } else if (!name.empty() && name.back() != '-') {
      name += '-';
    }
  }
  // npm and Go refuse a leading '.' or '_'; nothing gains from a trailing one.
  const auto first = name.find_first_not_of("._-");
  if (first == std::string::npos) return "statefun-app";
  name.erase(0, first);
  name.erase(name.find_last_not_of("._-") + 1);
  if (name.size() > 64) name.resize(64);
  return name;
}

std::string java_package_for(std::string_view ns) {
  std::string package;
  std::string_view rest = ns;
  while (true) {
    const auto dot = rest.find('.');
    std::string part;
    for (unsigned char c : lower(rest.substr(0, dot))) {
      part += std::isalnum(c) ? static_cast<char>(c) : '_';
    }
    if (part.empty() || std::isdigit(static_cast<unsigned char>(part.front()))) part = "_" + part;
    if (is_java_keyword(part)) part += '_';
    package += (package.empty() ? "" : ".") + part;
    if (dot == std::string_view::npos) break;
    rest = rest.substr(dot + 1);
  }
  return package;
}

std::map<std::string, std::string> placeholders(const InitChoices& choices) {
  std::map<std::string, std::string> values = {
      {"project", choices.project},
      {"namespace", choices.ns},
      {"java_package", java_package_for(choices.ns)},
  };
  std::string path = values["java_package"];
  std::ranges::replace(path, '.', '/');
  values["java_package_path"] = path;
  if (auto language = find_language(choices.language)) {
    // Language texts may use the project's placeholders.
    const auto project_values = values;
    values["language"] = std::string((*language)->name);
    values["sdk"] = render_text((*language)->sdk, project_values);
    values["prerequisites"] = render_text((*language)->prerequisites, project_values);
    values["code"] = render_text((*language)->code, project_values);
    values["install"] = render_text((*language)->install, project_values);
  }
  return values;
}

std::string render_text(std::string_view text, const std::map<std::string, std::string>& values) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (true) {
    const auto open = text.find("{{", pos);
    if (open == std::string_view::npos) break;
    const auto close = text.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    const auto value = values.find(std::string(text.substr(open + 2, close - open - 2)));
    if (value == values.end()) {
      out.append(text.substr(pos, open + 2 - pos));  // not a placeholder: keep "{{", go on after it
      pos = open + 2;
      continue;
    }
    out.append(text.substr(pos, open - pos));
    out.append(value->second);
    pos = close + 2;
  }
  out.append(text.substr(pos));
  return out;
}

Result<std::vector<ProjectFile>> render_project(const InitChoices& choices) {
  auto language = find_language(choices.language);
  if (!language) return std::unexpected(language.error());
  const auto names = templates_for((*language)->id);
  if (std::ranges::find(names, choices.template_name) == names.end()) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("unknown template '{}' for {} (choose one of: {})",
                                  choices.template_name, (*language)->id, join(names, ", ")));
  }
  const std::string id((*language)->id);
  const std::array<std::string, 3> layers = {"_all/" + choices.template_name + "/",
                                             id + "/_common/",
                                             id + "/" + choices.template_name + "/"};
  const auto values = placeholders(choices);
  std::map<std::string, ProjectFile> files;  // by path: a later layer wins
  for (const auto& layer : layers) {
    for (const auto& file : templates::embedded_files()) {
      if (!file.path.starts_with(layer)) continue;
      std::string path = render_text(file.path.substr(layer.size()), values);
      // Stored as `gitignore`: a real .gitignore would apply to templates/ itself.
      fs::path relative(path);
      if (relative.filename() == "gitignore") {
        path = (relative.parent_path() / ".gitignore").generic_string();
      }
      files[path] = ProjectFile{path, render_text(file.content, values), file.executable};
    }
  }
  std::vector<ProjectFile> out;
  for (auto& [path, file] : files) out.push_back(std::move(file));
  return out;
}

Result<void> write_project(const fs::path& dir, const std::vector<ProjectFile>& files) {
  for (const auto& file : files) {
    const fs::path target = dir / fs::path(file.path);
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    if (ec) {
      return make_error(ErrorCode::kIo, fmt::format("cannot create directory '{}': {}",
                                                    target.parent_path().string(), ec.message()));
    }
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    out.write(file.content.data(), static_cast<std::streamsize>(file.content.size()));
    out.close();
    if (!out) {
      return make_error(ErrorCode::kIo, fmt::format("cannot write '{}'", target.string()));
    }
    fs::permissions(target, file.executable ? fs::perms(0755) : fs::perms(0644),
                    fs::perm_options::replace, ec);
    if (ec) {
      return make_error(ErrorCode::kIo, fmt::format("cannot set the mode of '{}': {}",
                                                    target.string(), ec.message()));
    }
  }
  return {};
}

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
