#include "templates/render.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <set>

#include "templates/catalog.h"
#include "templates/embedded.h"

namespace statefun::templates {
namespace {
namespace fs = std::filesystem;

std::string lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
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

}  // namespace

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

std::map<std::string, std::string> placeholders(const ProjectChoices& choices) {
  std::map<std::string, std::string> values = {
      {"project", choices.project},
      {"namespace", choices.ns},
      {"java_package", java_package_for(choices.ns)},
  };
  std::string path = values["java_package"];
  std::ranges::replace(path, '.', '/');
  values["java_package_path"] = path;
  if (auto language = find_language(choices.language)) {
    values["debian_packages"] = std::string((*language)->debian_packages);
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

Result<std::vector<ProjectFile>> render_project(const ProjectChoices& choices) {
  auto language = find_language(choices.language);
  if (!language) return std::unexpected(language.error());
  const auto names = templates_for((*language)->id);
  if (std::ranges::find(names, choices.template_name) == names.end()) {
    std::string valid;
    for (const auto& name : names) valid += (valid.empty() ? "" : ", ") + name;
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("unknown template '{}' for {} (choose one of: {})",
                                  choices.template_name, (*language)->id, valid));
  }
  const std::string id((*language)->id);
  const std::array<std::string, 3> layers = {"_all/" + choices.template_name + "/",
                                             id + "/_common/",
                                             id + "/" + choices.template_name + "/"};
  const auto values = placeholders(choices);
  std::map<std::string, ProjectFile> files;  // by path: a later layer wins
  for (const auto& layer : layers) {
    for (const auto& file : embedded_files()) {
      if (!file.path.starts_with(layer)) continue;
      std::string path = render_text(file.path.substr(layer.size()), values);
      // Stored as `gitignore` and `dockerignore`: a real .gitignore would
      // apply to templates/ itself, and dot files are easy to miss here.
      fs::path relative(path);
      if (relative.filename() == "gitignore" || relative.filename() == "dockerignore") {
        path = (relative.parent_path() / ("." + relative.filename().string())).generic_string();
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

}  // namespace statefun::templates
