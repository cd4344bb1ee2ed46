// Entity search by address prefix (runtime/store/entity_search.h) on a real
// SQLite state database: prefixes at each level, ids with '/', expired state
// left out, and pages that follow each other without gap or repeat.
#include "runtime/store/entity_search.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "runtime/store/store.h"

using namespace statefun;
namespace fs = std::filesystem;

namespace {

struct SearchDir {
  fs::path path =
      fs::temp_directory_path() / ("statefun-entity-search-test-" + std::to_string(::getpid()));
  SearchDir() { fs::create_directories(path); }
  ~SearchDir() { fs::remove_all(path); }
  std::string db() const { return database_path(path.string()); }
};

Address at(const std::string& ns, const std::string& type, const std::string& id) {
  return Address{{ns, type}, id};
}

}  // namespace

TEST_CASE("entities are searched by address prefix, a page at a time, expired state left out",
          "[runtime]") {
  SearchDir dir;
  {
    auto store = Store::open(dir.db(), {});
    REQUIRE(store);
    REQUIRE((*store)->begin());
    const StateCause cause{1, 1, "m", std::nullopt};
    for (const auto& a : {at("example", "person", "Ann"), at("example", "person", "Bob"),
                          at("example", "person", "Bobby"), at("example", "person", "a/b"),
                          at("example", "personnel", "Zed"), at("example", "greeter", "Bob")}) {
      REQUIRE((*store)->write_state(a, "a", {"t/a", true, "1"}, std::nullopt, cause));
    }
    REQUIRE((*store)->write_state(at("example", "person", "Bob"), "b", {"t/a", true, "2"},
                                  std::nullopt, cause));
    REQUIRE(
        (*store)->write_state(at("example", "person", "Old"), "a", {"t/a", true, "1"}, 100, cause));
    REQUIRE((*store)->commit());
  }

  auto search = [&](std::string prefix, std::optional<Address> after = std::nullopt,
                    int64_t limit = 50) {
    auto rows = search_entities(dir.db(), {std::move(prefix), std::move(after), limit}, 1000);
    REQUIRE(rows);
    std::vector<std::string> found;
    for (const auto& row : *rows) found.push_back(row.address.str());
    return found;
  };
  using V = std::vector<std::string>;
  CHECK(search("") == V{"example/greeter/Bob", "example/person/Ann", "example/person/Bob",
                        "example/person/Bobby", "example/person/a/b", "example/personnel/Zed"});
  CHECK(search("ex").size() == 6);
  CHECK(search("x").empty());
  CHECK(search("example/person/") == V{"example/person/Ann", "example/person/Bob",
                                       "example/person/Bobby", "example/person/a/b"});
  CHECK(search("example/person/Bo") == V{"example/person/Bob", "example/person/Bobby"});
  CHECK(search("example/person/a/") == V{"example/person/a/b"});
  CHECK(search("example/person").back() == "example/personnel/Zed");
  CHECK(search("example/person/Old").empty());  // its only value expired at 100

  // Pages: each starts after the last address of the one before.
  CHECK(search("example/", std::nullopt, 2) == V{"example/greeter/Bob", "example/person/Ann"});
  CHECK(search("example/", at("example", "person", "Ann"), 2) ==
        V{"example/person/Bob", "example/person/Bobby"});
  CHECK(search("example/", at("example", "person", "Bobby"), 2) ==
        V{"example/person/a/b", "example/personnel/Zed"});
  CHECK(search("example/", at("example", "personnel", "Zed"), 2).empty());

  auto counted = search_entities(dir.db(), {"example/person/Bob", std::nullopt, 1}, 1000);
  REQUIRE(counted);
  REQUIRE(counted->size() == 1);
  CHECK(counted->front().states == 2);

  auto missing = search_entities((dir.path / "nothing.db").string(), {}, 1000);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);
}
