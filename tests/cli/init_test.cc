// `statefun init`: the embedded templates render completely, names are
// checked, and the command refuses what it must refuse (all in-process; the
// generated projects are installed and run by tests/e2e/test_init.py).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.h"
#include "cli/init_command.h"
#include "templates/embedded.h"

using namespace statefun;
namespace fs = std::filesystem;

namespace {

struct Run {
  int code = 0;
  std::string out;
};

Run run(std::vector<std::string> args) {
  args.insert(args.begin(), "statefun");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::ostringstream out;
  auto* old_out = std::cout.rdbuf(out.rdbuf());
  Run result;
  result.code = cli::run(static_cast<int>(argv.size()), argv.data());
  std::cout.rdbuf(old_out);
  result.out = out.str();
  return result;
}

// A fresh directory under the system's temporary folder, removed at the end.
struct TempDir {
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "statefun-init-test-XXXXXX").string();
    path = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path path;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const cli::ProjectFile* find(const std::vector<cli::ProjectFile>& files, std::string_view path) {
  for (const auto& file : files) {
    if (file.path == path) return &file;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("every language has the greeter, shopping-cart and empty templates", "[cli]") {
  for (const auto& language : cli::init_languages()) {
    CAPTURE(language.id);
    CHECK(cli::templates_for(language.id) ==
          std::vector<std::string>{"greeter", "shopping-cart", "empty"});
  }
}

TEST_CASE("every template renders a complete project with no placeholder left", "[cli]") {
  const std::regex leftover(R"(\{\{[a-z_]+\}\})");
  for (const auto& language : cli::init_languages()) {
    for (const auto& name : cli::templates_for(language.id)) {
      CAPTURE(language.id, name);
      const cli::InitChoices choices{std::string(language.id), name, "com.example.shop", "my-app"};
      auto files = cli::render_project(choices);
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

TEST_CASE("the java project's sources follow the namespace's package", "[cli]") {
  auto files = cli::render_project({"java", "greeter", "com.example.shop", "my-app"});
  REQUIRE(files);
  const auto* app = find(*files, "src/main/java/com/example/shop/App.java");
  REQUIRE(app);
  CHECK(app->content.starts_with("package com.example.shop;"));
  CHECK(find(*files, "pom.xml")->content.find("<artifactId>my-app</artifactId>") !=
        std::string::npos);
}

TEST_CASE("the C++ project carries the SDK sources, byte for byte", "[cli]") {
  auto files = cli::render_project({"cpp", "greeter", "example", "my-app"});
  REQUIRE(files);
  for (const char* path :
       {"runtime/sdk/statefun_sdk.h", "runtime/sdk/server.cc", "runtime/protocol/codec.cc",
        "runtime/protocol/model.h", "runtime/protocol/proto/request_reply.proto"}) {
    CAPTURE(path);
    const auto* file = find(*files, std::string("statefun_sdk/") + path);
    REQUIRE(file);
    CHECK(file->content == read_file(fs::path(STATEFUN_SOURCE_DIR) / path));
  }
}

TEST_CASE("the shopping-cart samples are the templates rendered for namespace example", "[cli]") {
  const fs::path samples = fs::path(STATEFUN_SOURCE_DIR) / "samples";
  auto js = cli::render_project({"js", "shopping-cart", "example", "shopping-cart"});
  REQUIRE(js);
  for (const char* path : {"functions.js", "module.yaml", "statefun.yaml", "ci.sh"}) {
    CAPTURE(path);
    CHECK(find(*js, path)->content == read_file(samples / "shopping-cart" / path));
  }
  auto cpp = cli::render_project({"cpp", "shopping-cart", "example", "shopping-cart-cpp"});
  REQUIRE(cpp);
  for (const char* path : {"main.cc", "module.yaml"}) {
    CAPTURE(path);
    CHECK(find(*cpp, path)->content == read_file(samples / "shopping-cart-cpp" / path));
  }
}

TEST_CASE("placeholders are replaced; other braces stay as they are", "[cli]") {
  const std::map<std::string, std::string> values = {{"project", "app"}, {"namespace", "ns"}};
  CHECK(cli::render_text("{{project}} in {{namespace}}/*", values) == "app in ns/*");
  CHECK(cli::render_text(R"(json{{"name", n}} {{nope}} {{project}})", values) ==
        R"(json{{"name", n}} {{nope}} app)");
  CHECK(cli::render_text("{{project", values) == "{{project");
  CHECK(cli::render_text("", values).empty());
}

TEST_CASE("namespaces with a slash or odd characters are refused with a reason", "[cli]") {
  CHECK(cli::check_namespace("example"));
  CHECK(cli::check_namespace("com.example.shop"));
  CHECK(cli::check_namespace("my-app_2"));
  auto slash = cli::check_namespace("com/example");
  REQUIRE_FALSE(slash);
  CHECK(slash.error().message.find("may not contain '/'") != std::string::npos);
  CHECK_FALSE(cli::check_namespace(""));
  CHECK_FALSE(cli::check_namespace("has space"));
  CHECK_FALSE(cli::check_namespace("star*"));
  CHECK_FALSE(cli::check_namespace(".leading"));
  CHECK_FALSE(cli::check_namespace("trailing-"));
  CHECK_FALSE(cli::check_namespace("a..b"));
}

TEST_CASE("a project is named after its directory, as npm, Go and Maven accept", "[cli]") {
  CHECK(cli::project_name_for("my-app") == "my-app");
  CHECK(cli::project_name_for("/tmp/x/My App!/") == "my-app");
  CHECK(cli::project_name_for("some/dir/.hidden_") == "hidden");
  CHECK(cli::project_name_for("/tmp/__") == "statefun-app");
  CHECK(cli::project_name_for("shop.v2") == "shop.v2");
}

TEST_CASE("a namespace becomes a valid Java package", "[cli]") {
  CHECK(cli::java_package_for("example") == "example");
  CHECK(cli::java_package_for("com.Example.shop") == "com.example.shop");
  CHECK(cli::java_package_for("my-shop") == "my_shop");
  CHECK(cli::java_package_for("2go.int") == "_2go.int_");
}

TEST_CASE("languages are found by id or alias; an unknown one lists the valid ones", "[cli]") {
  CHECK((*cli::find_language("js"))->id == "js");
  CHECK((*cli::find_language("JavaScript"))->id == "js");
  CHECK((*cli::find_language("c++"))->id == "cpp");
  CHECK((*cli::find_language("golang"))->id == "go");
  auto rust = cli::find_language("rust");
  REQUIRE_FALSE(rust);
  CHECK(rust.error().message ==
        "unknown language 'rust' (choose one of: js, python, go, java, cpp)");
}

TEST_CASE("init writes the project with its modes, and lists languages and templates", "[cli]") {
  TempDir tmp;
  const auto dir = (tmp.path / "app").string();
  auto created = run({"init", dir, "--lang", "js", "--template", "greeter", "--namespace", "shop"});
  REQUIRE(created.code == 0);
  CHECK(created.out.find("statefun dev") != std::string::npos);
  CHECK(read_file(fs::path(dir) / "module.yaml").find("functions: shop/*") != std::string::npos);
  CHECK(read_file(fs::path(dir) / "package.json").find("\"name\": \"app\"") != std::string::npos);
  CHECK((fs::status(fs::path(dir) / "ci.sh").permissions() & fs::perms::owner_exec) !=
        fs::perms::none);
  CHECK((fs::status(fs::path(dir) / "module.yaml").permissions() & fs::perms::owner_exec) ==
        fs::perms::none);

  auto list = run({"init", "--list"});
  CHECK(list.code == 0);
  CHECK(list.out.find("shopping-cart") != std::string::npos);
  CHECK(list.out.find("python") != std::string::npos);
}

TEST_CASE("init refuses a non-empty directory unless --force", "[cli]") {
  TempDir tmp;
  std::ofstream(tmp.path / "notes.txt") << "mine";
  const std::vector<std::string> args = {"init",       tmp.path.string(), "--lang",      "python",
                                         "--template", "empty",           "--namespace", "example"};
  CHECK(run(args).code == 1);
  CHECK_FALSE(fs::exists(tmp.path / "module.yaml"));

  auto forced = args;
  forced.push_back("--force");
  CHECK(run(forced).code == 0);
  CHECK(fs::exists(tmp.path / "functions.py"));
  CHECK(read_file(tmp.path / "notes.txt") == "mine");
}

TEST_CASE("init's usage errors exit 2 and write nothing", "[cli]") {
  TempDir tmp;
  const auto dir = (tmp.path / "app").string();
  CHECK(run({"init", dir, "--lang", "rust", "-t", "greeter", "-n", "ex"}).code == 2);
  CHECK(run({"init", dir, "--lang", "go", "-t", "shopping-mall", "-n", "ex"}).code == 2);
  CHECK(run({"init", dir, "--lang", "go", "-t", "greeter", "-n", "a/b"}).code == 2);
  CHECK_FALSE(fs::exists(dir));
}

TEST_CASE("init says so when the directory cannot be created", "[cli]") {
  TempDir tmp;
  std::ofstream(tmp.path / "file") << "x";
  CHECK(run({"init", (tmp.path / "file" / "app").string(), "--lang", "js", "-t", "greeter", "-n",
             "ex"})
            .code == 1);
  CHECK(run({"init", (tmp.path / "file").string(), "--lang", "js", "-t", "greeter", "-n", "ex"})
            .code == 1);
}
