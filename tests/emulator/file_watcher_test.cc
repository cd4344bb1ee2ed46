#include "emulator/processes/file_watcher.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>

namespace statefun::emulator {
namespace {

namespace fs = std::filesystem;

TEST_CASE("glob: * stays within a folder, ** crosses folders", "[emulator]") {
  CHECK(glob_match("*.js", "functions.js"));
  CHECK_FALSE(glob_match("*.js", "lib/functions.js"));
  CHECK_FALSE(glob_match("*.js", "functions.ts"));
  CHECK_FALSE(glob_match("*.js", ".eslintrc.js"));  // hidden files need an explicit dot
  CHECK(glob_match("./*.js", "functions.js"));
  CHECK(glob_match("lib/*.py", "lib/a.py"));
  CHECK(glob_match("**/*.py", "a.py"));
  CHECK(glob_match("**/*.py", "src/pkg/a.py"));
  CHECK(glob_match("src/**", "src/pkg/a.py"));
  CHECK(glob_match("src/**/test_?.py", "src/x/y/test_1.py"));
  CHECK(glob_match("module.yaml", "module.yaml"));
  CHECK(glob_match("[ab].txt", "b.txt"));
  CHECK_FALSE(glob_match("src/**/*.py", "lib/a.py"));
}

// Collects callbacks; tests wait for the next one.
struct Changes {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::vector<std::string>> seen;

  FileWatcher::Callback callback() {
    return [this](const std::vector<std::string>& paths) {
      std::lock_guard lock(mutex);
      seen.push_back(paths);
      changed.notify_all();
    };
  }
  bool wait_for(std::size_t count) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(10), [&] { return seen.size() >= count; });
  }
};

struct TempDir {
  fs::path path;
  TempDir() {
    char name[] = "/tmp/statefun-watch-XXXXXX";
    path = ::mkdtemp(name);
  }
  ~TempDir() { fs::remove_all(path); }
  void write(const std::string& relative, const std::string& text) const {
    fs::create_directories((path / relative).parent_path());
    std::ofstream(path / relative) << text;
  }
};

TEST_CASE("file watcher: a save of a matching file is reported once, after it settles",
          "[emulator]") {
  TempDir dir;
  FileWatcher watcher(std::chrono::milliseconds(50));
  Changes changes;
  REQUIRE(watcher.add(dir.path.string(), {"*.js"}, changes.callback()).has_value());

  dir.write("notes.txt", "ignored");
  dir.write("functions.js", "one");
  dir.write("functions.js", "two");  // the same burst
  REQUIRE(changes.wait_for(1));
  CHECK(changes.seen[0] == std::vector<std::string>{"functions.js"});

  // A replacement by rename, the way many editors save.
  dir.write("tmp.swp", "three");
  fs::rename(dir.path / "tmp.swp", dir.path / "functions.js");
  REQUIRE(changes.wait_for(2));
  CHECK(changes.seen[1] == std::vector<std::string>{"functions.js"});
}

TEST_CASE("file watcher: ** globs see files in folders created after the watch started",
          "[emulator]") {
  TempDir dir;
  dir.write("src/a.py", "a");
  dir.write("node_modules/dep/index.py", "not watched");
  FileWatcher watcher(std::chrono::milliseconds(50));
  Changes changes;
  REQUIRE(watcher.add(dir.path.string(), {"**/*.py"}, changes.callback()).has_value());

  dir.write("src/a.py", "changed");
  REQUIRE(changes.wait_for(1));
  CHECK(changes.seen[0] == std::vector<std::string>{"src/a.py"});

  fs::create_directories(dir.path / "src" / "new");
  usleep(200 * 1000);  // the watcher adds the new folder
  dir.write("src/new/b.py", "b");
  REQUIRE(changes.wait_for(2));
  CHECK(changes.seen[1] == std::vector<std::string>{"src/new/b.py"});
}

TEST_CASE("file watcher: a removed subscription is not called any more", "[emulator]") {
  TempDir dir;
  FileWatcher watcher(std::chrono::milliseconds(20));
  Changes changes, other;
  auto id = watcher.add(dir.path.string(), {"*.txt"}, changes.callback());
  REQUIRE(id.has_value());
  REQUIRE(watcher.add(dir.path.string(), {"*.txt"}, other.callback()).has_value());
  watcher.remove(*id);
  dir.write("a.txt", "x");
  REQUIRE(other.wait_for(1));
  CHECK(changes.seen.empty());
}

}  // namespace
}  // namespace statefun::emulator
