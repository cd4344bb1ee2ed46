// runtime/store/sqlite.h: statements bind and read what they are given, kept
// statements start clean, transactions roll back unless committed, and
// SQLite's failures map to our error codes (corruption and disk full told
// apart from other I/O failures).
#include "runtime/store/sqlite.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

using namespace statefun;
namespace fs = std::filesystem;

namespace {

// A fresh directory, removed at the end; its name has every character a
// file: URI treats specially.
struct TempDir {
  fs::path path =
      fs::temp_directory_path() / ("statefun-sqlite-test-" + std::to_string(::getpid()) + "?#%");
  TempDir() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string db() const { return (path / "test.db").string(); }
};

sqlite::Connection open(const std::string& path, sqlite::OpenOptions options = {}) {
  auto db = sqlite::Connection::open(path, options);
  REQUIRE(db);
  return std::move(*db);
}

}  // namespace

TEST_CASE("sqlite: statements bind in order and read columns back", "[runtime]") {
  TempDir dir;
  auto db = open(dir.db());
  REQUIRE(db.exec("CREATE TABLE t(i INTEGER, s TEXT, b BLOB, n TEXT)"));
  const std::string text = "hé";
  const std::string bytes("\0\1\2", 3);
  {
    auto insert = db.prepare("INSERT INTO t VALUES(?,?,?,?)");
    REQUIRE(insert);
    insert->integer(int64_t{1} << 40).text(text).blob(bytes).null();
    REQUIRE(insert->run("inserting"));
  }
  CHECK(db.changes() == 1);
  CHECK(db.last_insert_rowid() == 1);
  auto select = db.prepare("SELECT i,s,b,n FROM t");
  REQUIRE(select);
  auto row = select->step("reading");
  REQUIRE(row);
  REQUIRE(*row);
  CHECK(select->column_int(0) == int64_t{1} << 40);
  CHECK(select->column_text(1) == text);
  CHECK(select->column_blob(2) == bytes);
  CHECK(select->column_is_null(3));
  CHECK(select->column_text(3).empty());
  CHECK(*select->step("reading") == false);
  CHECK(db.scalar("SELECT count(*) FROM t", "counting") == 1);
}

TEST_CASE("sqlite: a kept statement is reset with its bindings after each use", "[runtime]") {
  TempDir dir;
  auto db = open(dir.db());
  REQUIRE(db.exec("CREATE TABLE t(v INTEGER)"));
  auto insert = db.prepare("INSERT INTO t VALUES(?)", /*persistent=*/true);
  REQUIRE(insert);
  for (int64_t v : {7, 8}) {
    sqlite::Reset use(*insert);
    use->integer(v);
    REQUIRE(use->run("inserting"));
  }
  {
    sqlite::Reset use(*insert);  // nothing bound: the parameter is NULL, not 8
    REQUIRE(use->run("inserting"));
  }
  std::vector<std::string> values;
  auto select = db.prepare("SELECT coalesce(v,'null') FROM t ORDER BY rowid");
  REQUIRE(select);
  REQUIRE(select->for_each_row(
      "reading", [&](const sqlite::Statement& row) { values.push_back(row.column_text(0)); }));
  CHECK(values == std::vector<std::string>{"7", "8", "null"});
}

TEST_CASE("sqlite: a transaction not committed is rolled back", "[runtime]") {
  TempDir dir;
  auto db = open(dir.db());
  REQUIRE(db.exec("CREATE TABLE t(v INTEGER)"));
  {
    auto transaction = sqlite::Transaction::begin(db);
    REQUIRE(transaction);
    REQUIRE(db.exec("INSERT INTO t VALUES(1)"));
  }
  CHECK(db.scalar("SELECT count(*) FROM t", "counting") == 0);
  {
    auto transaction = sqlite::Transaction::begin(db);
    REQUIRE(transaction);
    REQUIRE(db.exec("INSERT INTO t VALUES(2)"));
    REQUIRE(transaction->commit());
  }
  CHECK(db.scalar("SELECT count(*) FROM t", "counting") == 1);
}

TEST_CASE("sqlite: pragmas apply at open; read-only connections cannot write", "[runtime]") {
  TempDir dir;
  {
    auto db = open(dir.db(), {.pragmas = {"journal_mode=WAL", "user_version=7"}});
    CHECK(db.scalar("PRAGMA user_version", "reading") == 7);
  }
  auto reader = open(dir.db(), {.access = sqlite::Access::kReadOnly});
  CHECK(reader.scalar("PRAGMA user_version", "reading") == 7);
  auto refused = reader.exec("CREATE TABLE t(v)");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::kIo);
  CHECK(refused.error().message.starts_with(dir.db() + ": "));

  auto missing = sqlite::Connection::open((dir.path / "none.db").string(),
                                          {.access = sqlite::Access::kReadOnly});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kIo);
  CHECK(missing.error().message.find("cannot open database") != std::string::npos);
}

TEST_CASE("sqlite: a file that is not a database is corruption, naming file and action",
          "[runtime]") {
  TempDir dir;
  std::ofstream(dir.db()) << std::string(8192, 'x');
  auto db = open(dir.db());
  auto version = db.scalar("PRAGMA user_version", "reading the schema version");
  REQUIRE_FALSE(version);
  CHECK(version.error().code == ErrorCode::kCorruption);
  CHECK(version.error().message.starts_with(dir.db() + ": "));
  CHECK(sqlite::error_code(SQLITE_CORRUPT) == ErrorCode::kCorruption);
  CHECK(sqlite::error_code(SQLITE_NOTADB) == ErrorCode::kCorruption);
  CHECK(sqlite::error_code(SQLITE_IOERR_FSYNC) == ErrorCode::kIo);
  CHECK(sqlite::error_code(SQLITE_FULL) == ErrorCode::kResourceExhausted);
}

TEST_CASE("sqlite: statements that do not compile are corruption (not our schema)", "[runtime]") {
  TempDir dir;
  auto db = open(dir.db());
  auto statement = db.prepare("SELECT * FROM no_such_table");
  REQUIRE_FALSE(statement);
  CHECK(statement.error().code == ErrorCode::kCorruption);
  CHECK(statement.error().message.find("no_such_table") != std::string::npos);
}

TEST_CASE("sqlite: a full disk is a retryable error that says so", "[runtime]") {
  TempDir dir;
  // A database that may not grow past a few pages stands in for a full disk:
  // SQLite reports both as SQLITE_FULL.
  auto db = open(dir.db(), {.pragmas = {"max_page_count=8"}});
  REQUIRE(db.exec("CREATE TABLE t(v BLOB)"));
  auto insert = db.prepare("INSERT INTO t VALUES(randomblob(100000))");
  REQUIRE(insert);
  auto full = insert->run("appending to t");
  REQUIRE_FALSE(full);
  // Not kIo: the engine waits for space and retries (issue 14).
  CHECK(full.error().code == ErrorCode::kResourceExhausted);
  CHECK(full.error().message.starts_with(dir.db() + ": appending to t: disk full: "));
}

TEST_CASE("sqlite: read-only URIs and quoted literals escape what they must", "[runtime]") {
  CHECK(sqlite::read_only_uri("/a b/c.db") == "file:/a b/c.db?mode=ro");
  CHECK(sqlite::read_only_uri("/x?y#z%/c.db") == "file:/x%3Fy%23z%25/c.db?mode=ro");
  CHECK(sqlite::quote("it's") == "'it''s'");
  CHECK(sqlite::quote("") == "''");
}
