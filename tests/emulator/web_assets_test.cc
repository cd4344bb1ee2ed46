// The web console's embedded files (emulator/web/assets.h): every file of
// emulator/web/console/ is in the binary, byte for byte, with a Content-Type
// a browser runs, and no request path escapes the folder.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "emulator/web/assets.h"

using namespace statefun::emulator::web;

TEST_CASE("every console file is embedded verbatim and typed for the browser", "[emulator]") {
  const std::filesystem::path folder =
      std::filesystem::path(STATEFUN_SOURCE_DIR) / "emulator" / "web" / "console";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    INFO(name);
    auto asset = find_asset(name);
    REQUIRE(asset);
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    CHECK(asset->content == bytes.str());
    // A module served as anything else is refused by the browser.
    CHECK(asset->content_type != "application/octet-stream");
    ++files;
  }
  CHECK(files == static_cast<int>(embedded_files().size()));
}

TEST_CASE("the console's root is index.html and paths cannot leave the folder", "[emulator]") {
  auto index = find_asset("");
  REQUIRE(index);
  CHECK(index->content_type == "text/html; charset=utf-8");
  CHECK(find_asset("app.js")->content_type == "text/javascript; charset=utf-8");
  CHECK_FALSE(find_asset("../README.md"));
  CHECK_FALSE(find_asset("/index.html"));
  CHECK_FALSE(find_asset("..\\assets.h"));
  CHECK_FALSE(find_asset("nothing.js"));
}
