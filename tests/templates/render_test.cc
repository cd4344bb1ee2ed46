// templates/render.h and templates/catalog.h: every embedded template renders
// completely, names become valid identifiers, and the samples are the
// templates as `statefun init` writes them (so they cannot drift apart).
#include "templates/render.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "templates/catalog.h"

using namespace statefun;
namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const templates::ProjectFile* find(const std::vector<templates::ProjectFile>& files,
                                   std::string_view path) {
  for (const auto& file : files) {
    if (file.path == path) return &file;
  }
  return nullptr;
}

std::vector<templates::ProjectFile> render(const std::string& language, const std::string& name,
                                           const std::string& project) {
  auto files = templates::render_project({language, name, "example", project});
  REQUIRE(files);
  return *files;
}

// The words after `apt-get install ` up to `end`.
std::vector<std::string> packages_after_apt_get(const std::string& text, char end) {
  const std::string marker = "apt-get install ";
  const auto start = text.find(marker);
  if (start == std::string::npos) return {};
  const auto from = start + marker.size();
  std::istringstream words(text.substr(from, text.find(end, from) - from));
  std::vector<std::string> out;
  for (std::string word; words >> word;) out.push_back(word);
  return out;
}

}  // namespace

TEST_CASE("every language has the greeter, shopping-cart and empty templates", "[templates][cli]") {
  for (const auto& language : templates::languages()) {
    CAPTURE(language.id);
    CHECK(templates::templates_for(language.id) ==
          std::vector<std::string>{"greeter", "shopping-cart", "empty"});
  }
}

TEST_CASE("every template renders a complete project with no placeholder left",
          "[templates][cli]") {
  const std::regex leftover(R"(\{\{[a-z_]+\}\})");
  for (const auto& language : templates::languages()) {
    for (const auto& name : templates::templates_for(language.id)) {
      CAPTURE(language.id, name);
      const templates::ProjectChoices choices{std::string(language.id), name, "com.example.shop",
                                              "my-app"};
      auto files = templates::render_project(choices);
      REQUIRE(files);
      for (const char* required :
           {"module.yaml", "statefun.yaml", "README.md", "ci.sh", ".gitignore"}) {
        CAPTURE(required);
        CHECK(find(*files, required) != nullptr);
      }
      REQUIRE(find(*files, "ci.sh"));
      CHECK(find(*files, "ci.sh")->executable);
      CHECK(find(*files, "module.yaml")->content.find("functions: com.example.shop/*") !=
            std::string::npos);
      for (const auto& file : *files) {
        CAPTURE(file.path);
        CHECK_FALSE(std::regex_search(file.path, leftover));
        CHECK_FALSE(std::regex_search(file.content, leftover));
        // Stored as `gitignore` in templates/, written as `.gitignore`.
        CHECK(
            (!file.path.ends_with("gitignore") || fs::path(file.path).filename() == ".gitignore"));
      }
    }
  }
}

TEST_CASE("the java project's sources follow the namespace's package", "[templates][cli]") {
  auto files = templates::render_project({"java", "greeter", "com.example.shop", "my-app"});
  REQUIRE(files);
  const auto* app = find(*files, "src/main/java/com/example/shop/App.java");
  REQUIRE(app);
  CHECK(app->content.starts_with("package com.example.shop;"));
  CHECK(find(*files, "pom.xml")->content.find("<artifactId>my-app</artifactId>") !=
        std::string::npos);
}

TEST_CASE("the C++ project carries the SDK sources, byte for byte", "[templates][cli]") {
  const auto files = render("cpp", "greeter", "my-app");
  for (const char* path :
       {"runtime/sdk/statefun_sdk.h", "runtime/sdk/server.cc", "runtime/protocol/codec.cc",
        "runtime/protocol/model.h", "runtime/protocol/proto/request_reply.proto"}) {
    CAPTURE(path);
    const auto* file = find(files, std::string("statefun_sdk/") + path);
    REQUIRE(file);
    CHECK(file->content == read_file(fs::path(STATEFUN_SOURCE_DIR) / path));
  }
}

TEST_CASE("the C++ README and the SDK's CMake file list the Debian packages its build finds",
          "[templates][cli]") {
  const auto files = render("cpp", "greeter", "my-app");
  const auto* readme = find(files, "README.md");
  const auto* cmake = find(files, "statefun_sdk/CMakeLists.txt");
  REQUIRE(readme);
  REQUIRE(cmake);
  const auto listed = packages_after_apt_get(readme->content, '`');
  CHECK(listed == packages_after_apt_get(cmake->content, '\n'));
  // What each of the CMake file's find_* calls needs installed.
  const std::map<std::string, std::string> package_for = {
      {"find_package(Protobuf", "libprotobuf-dev"},
      {"find_package(Protobuf", "protobuf-compiler"},
      {"find_package(nlohmann_json", "nlohmann-json3-dev"},
      {"find_package(fmt", "libfmt-dev"},
      {"find_library(HTTP_PARSER_LIBRARY http_parser", "libhttp-parser-dev"},
  };
  CHECK(cmake->content.find("find_library(HTTP_PARSER_LIBRARY http_parser") != std::string::npos);
  for (const auto& [call, package] : package_for) {
    CAPTURE(call, package);
    if (cmake->content.find(call) != std::string::npos) {
      CHECK(std::ranges::find(listed, package) != listed.end());
    }
  }
}

TEST_CASE("the samples are the templates rendered for namespace example", "[templates][cli]") {
  const fs::path samples = fs::path(STATEFUN_SOURCE_DIR) / "samples";
  // sample folder, language, template, files that must be the template's
  const std::vector<std::tuple<std::string, std::string, std::string, std::vector<std::string>>>
      guarded = {
          {"greeter", "js", "greeter", {"functions.js"}},
          {"greeter-python", "python", "greeter", {"functions.py"}},
          {"greeter-cpp", "cpp", "greeter", {"main.cc"}},
          {"shopping-cart",
           "js",
           "shopping-cart",
           {"functions.js", "module.yaml", "statefun.yaml", "ci.sh"}},
          {"shopping-cart-cpp", "cpp", "shopping-cart", {"main.cc", "module.yaml"}},
      };
  for (const auto& [folder, language, name, paths] : guarded) {
    const auto files = render(language, name, folder);
    for (const auto& path : paths) {
      CAPTURE(folder, path);
      const auto* file = find(files, path);
      REQUIRE(file);
      CHECK(file->content == read_file(samples / folder / path));
    }
  }
}

TEST_CASE("placeholders are replaced; other braces stay as they are", "[templates][cli]") {
  const std::map<std::string, std::string> values = {{"project", "app"}, {"namespace", "ns"}};
  CHECK(templates::render_text("{{project}} in {{namespace}}/*", values) == "app in ns/*");
  CHECK(templates::render_text(R"(json{{"name", n}} {{nope}} {{project}})", values) ==
        R"(json{{"name", n}} {{nope}} app)");
  CHECK(templates::render_text("{{project", values) == "{{project");
  CHECK(templates::render_text("", values).empty());
}

TEST_CASE("namespaces with a slash or odd characters are refused with a reason",
          "[templates][cli]") {
  CHECK(templates::check_namespace("example"));
  CHECK(templates::check_namespace("com.example.shop"));
  CHECK(templates::check_namespace("my-app_2"));
  auto slash = templates::check_namespace("com/example");
  REQUIRE_FALSE(slash);
  CHECK(slash.error().message.find("may not contain '/'") != std::string::npos);
  CHECK_FALSE(templates::check_namespace(""));
  CHECK_FALSE(templates::check_namespace("has space"));
  CHECK_FALSE(templates::check_namespace("star*"));
  CHECK_FALSE(templates::check_namespace(".leading"));
  CHECK_FALSE(templates::check_namespace("trailing-"));
  CHECK_FALSE(templates::check_namespace("a..b"));
}

TEST_CASE("a project is named after its directory, as npm, Go and Maven accept",
          "[templates][cli]") {
  CHECK(templates::project_name_for("my-app") == "my-app");
  CHECK(templates::project_name_for("/tmp/x/My App!/") == "my-app");
  CHECK(templates::project_name_for("some/dir/.hidden_") == "hidden");
  CHECK(templates::project_name_for("/tmp/__") == "statefun-app");
  CHECK(templates::project_name_for("shop.v2") == "shop.v2");
}

TEST_CASE("a namespace becomes a valid Java package", "[templates][cli]") {
  CHECK(templates::java_package_for("example") == "example");
  CHECK(templates::java_package_for("com.Example.shop") == "com.example.shop");
  CHECK(templates::java_package_for("my-shop") == "my_shop");
  CHECK(templates::java_package_for("2go.int") == "_2go.int_");
}

TEST_CASE("languages are found by id or alias; an unknown one lists the valid ones",
          "[templates][cli]") {
  CHECK((*templates::find_language("js"))->id == "js");
  CHECK((*templates::find_language("JavaScript"))->id == "js");
  CHECK((*templates::find_language("c++"))->id == "cpp");
  CHECK((*templates::find_language("golang"))->id == "go");
  auto rust = templates::find_language("rust");
  REQUIRE_FALSE(rust);
  CHECK(rust.error().message ==
        "unknown language 'rust' (choose one of: js, python, go, java, cpp)");
}
