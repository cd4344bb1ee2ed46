// The stores that tests of the Store contract run against, as Catch2
// template types: the SQLite store in a scratch directory and the in-memory
// store. Each fixture is one database; open() makes another connection to
// it, so a test can reopen (after a "crash") or read what was committed.
#pragma once

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "runtime/store/memory_store.h"
#include "runtime/store/store.h"

namespace statefun::test {

struct SqliteStoreFixture {
  std::filesystem::path dir;
  StoreOptions options;

  SqliteStoreFixture() {
    static int counter = 0;
    dir =
        std::filesystem::temp_directory_path() /
        ("statefun-store-fixture-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  ~SqliteStoreFixture() { std::filesystem::remove_all(dir); }
  SqliteStoreFixture(const SqliteStoreFixture&) = delete;
  SqliteStoreFixture& operator=(const SqliteStoreFixture&) = delete;

  std::unique_ptr<Store> open() {
    auto store = Store::open(database_path(dir.string()), options);
    REQUIRE(store);
    return std::move(*store);
  }
};

struct MemoryStoreFixture {
  std::shared_ptr<MemoryDatabase> database = MemoryStore::new_database();
  StoreOptions options;

  std::unique_ptr<Store> open() {
    return std::make_unique<MemoryStore>(database, options.retention);
  }
};

}  // namespace statefun::test
