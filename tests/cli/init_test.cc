// `statefun init`: the command writes what the templates library renders,
// lists what it offers, and refuses what it must refuse (all in-process;
// rendering itself is tested in tests/templates/render_test.cc, and the
// generated projects are installed and run by tests/e2e/test_init.py).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.h"

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

}  // namespace

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
