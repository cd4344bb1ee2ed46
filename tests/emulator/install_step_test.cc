#include "emulator/processes/install_step.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

namespace statefun::emulator {
namespace {

namespace fs = std::filesystem;

// A fresh folder for one test, removed afterwards.
struct Folder {
  Folder() {
    path = fs::temp_directory_path() /
           ("statefun-install-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~Folder() { fs::remove_all(path); }
  void write(const std::string& name, const std::string& text) const {
    fs::create_directories((path / name).parent_path());
    std::ofstream(path / name) << text;
  }
  fs::path path;
  static inline int counter = 0;
};

ProcessSpec with_install(const Folder& folder, std::string command,
                         std::vector<std::string> inputs = {}) {
  ProcessSpec spec;
  spec.name = "functions";
  spec.command = "node functions.js";
  spec.working_dir = folder.path.string();
  spec.install = {std::move(command), std::move(inputs)};
  return spec;
}

TEST_CASE("install step: only its inputs and its command change the fingerprint", "[emulator]") {
  Folder folder;
  folder.write("package.json", R"({"name": "app"})");
  folder.write("functions.js", "v1");
  const ProcessSpec spec = with_install(folder, "npm install");
  CHECK(install_input_files(spec) == std::vector<std::string>{"package.json"});
  const std::string first = install_fingerprint(spec);
  CHECK(first.size() == 16);

  folder.write("functions.js", "v2");  // a hot reload: no new install
  CHECK(install_fingerprint(spec) == first);

  folder.write("package-lock.json", "{}");  // a default input appears
  const std::string locked = install_fingerprint(spec);
  CHECK(locked != first);
  folder.write("package.json", R"({"name": "app", "dependencies": {}})");
  CHECK(install_fingerprint(spec) != locked);

  const std::string now = install_fingerprint(spec);
  CHECK(install_fingerprint(with_install(folder, "npm ci")) != now);
}

TEST_CASE("install step: inputs are globs under the working directory", "[emulator]") {
  Folder folder;
  folder.write("pom.xml", "<project/>");
  folder.write("src/main/java/App.java", "class App {}");
  folder.write("target/app.jar", "built");
  folder.write(".hidden/x.java", "no");
  const ProcessSpec spec = with_install(folder, "mvn package", {"pom.xml", "src/**"});
  CHECK(install_input_files(spec) == std::vector<std::string>{"pom.xml", "src/main/java/App.java"});
  const std::string before = install_fingerprint(spec);
  folder.write("target/app.jar", "built again");  // an output, not an input
  CHECK(install_fingerprint(spec) == before);
  folder.write("src/main/java/App.java", "class App { }");
  CHECK(install_fingerprint(spec) != before);
}

TEST_CASE("install step: records survive and a new one replaces the old", "[emulator]") {
  Folder folder;
  const InstallRecords records((folder.path / "installs").string());
  CHECK_FALSE(records.last("functions").has_value());
  REQUIRE(records.record("functions", "0123456789abcdef").has_value());
  CHECK(records.last("functions") == "0123456789abcdef");
  REQUIRE(records.record("functions", "fedcba9876543210").has_value());
  CHECK(InstallRecords((folder.path / "installs").string()).last("functions") ==
        "fedcba9876543210");
  CHECK_FALSE(records.last("other").has_value());
}

}  // namespace
}  // namespace statefun::emulator
