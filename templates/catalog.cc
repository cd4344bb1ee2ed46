#include "templates/catalog.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "templates/embedded.h"

namespace statefun::templates {
namespace {

// "a/b/c" -> ("a", "b/c"); no slash -> (path, "").
std::pair<std::string_view, std::string_view> split_first(std::string_view path) {
  const auto slash = path.find('/');
  if (slash == std::string_view::npos) return {path, {}};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

const std::vector<Language>& languages() {
  static const std::vector<Language> all = {
      {"js", "JavaScript", "javascript node nodejs",
       "the official JavaScript SDK (npm `apache-flink-statefun` 3.3.0)",
       "Node.js 18 or newer, with npm", "`functions.js`",
       "runs `npm install` (the versions pinned in package-lock.json) when package.json or "
       "package-lock.json changed, then `node functions.js`",
       ""},
      {"python", "Python", "py python3",
       "the official Python SDK (PyPI `apache-flink-statefun` 3.3.0), served with aiohttp",
       "Python 3.9 or newer, with the venv module (Debian: python3-venv)", "`functions.py`",
       "creates a virtualenv in `.venv` and runs `pip install -r requirements.txt` (pinned "
       "versions) when requirements.txt changed, then `python functions.py`",
       ""},
      {"go", "Go", "golang",
       "the official Go SDK (`github.com/apache/flink-statefun/statefun-sdk-go/v3` v3.3.0)",
       "Go 1.21 or newer", "`main.go`",
       "runs `go mod download` (the modules pinned in go.sum) when go.mod or go.sum changed, "
       "then `go run .`",
       ""},
      {"java", "Java", "jvm",
       "the official Java SDK (`org.apache.flink:statefun-sdk-java` 3.3.0), served with Undertow",
       "JDK 17 or newer and Maven 3.8 or newer", "`src/main/java/{{java_package_path}}/App.java`",
       "runs `mvn package` (the versions pinned in pom.xml) when pom.xml or a file under "
       "`src/` changed, then `java -jar target/{{project}}.jar`",
       ""},
      // The packages are what statefun_sdk/CMakeLists.txt finds (protobuf,
      // http-parser, nlohmann-json, fmt), the compiler and CMake.
      {"cpp", "C++", "c++ cxx",
       "statefun's C++ SDK (copied into `statefun_sdk/`, built with the project)",
       "g++ 12 or newer, CMake 3.25 or newer, and protobuf, http-parser, nlohmann-json and fmt "
       "(Debian 12: `apt-get install {{debian_packages}}`)",
       "`main.cc`",
       "builds with CMake into `build/` when a source file changed (the first build takes a "
       "minute), then runs `build/functions`",
       "g++ cmake protobuf-compiler libprotobuf-dev libhttp-parser-dev nlohmann-json3-dev "
       "libfmt-dev"},
  };
  return all;
}

Result<const Language*> find_language(std::string_view text) {
  const std::string wanted = lower(text);
  for (const auto& language : languages()) {
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

std::string language_ids() {
  std::string out;
  for (const auto& language : languages()) {
    if (!out.empty()) out += ", ";
    out += language.id;
  }
  return out;
}

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

std::vector<std::string> templates_for(std::string_view language_id) {
  std::set<std::string> names;
  for (const auto& file : embedded_files()) {
    const auto [language, rest] = split_first(file.path);
    if (language != language_id) continue;
    const auto [name, inside] = split_first(rest);
    if (!inside.empty() && !name.starts_with('_')) names.emplace(name);
  }
  std::vector<std::string> ordered;
  for (const auto& info : template_infos()) {
    if (names.erase(std::string(info.name))) ordered.emplace_back(info.name);
  }
  ordered.insert(ordered.end(), names.begin(), names.end());
  return ordered;
}

}  // namespace statefun::templates
