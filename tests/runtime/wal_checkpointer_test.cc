// WalCheckpointer: the engine's commits only signal; another connection
// copies the log back into the database file.
#include "runtime/store/wal_checkpointer.h"

#include <sqlite3.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

namespace fs = std::filesystem;

namespace {

struct TempDatabase {
  fs::path dir = fs::temp_directory_path() / ("statefun-wal-test-" + std::to_string(::getpid()));
  sqlite3* db = nullptr;
  TempDatabase() {
    fs::remove_all(dir);
    fs::create_directories(dir);
    REQUIRE(sqlite3_open((dir / "db").c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "PRAGMA journal_mode=WAL; CREATE TABLE t(v BLOB);", nullptr, nullptr,
                         nullptr) == SQLITE_OK);
  }
  ~TempDatabase() {
    sqlite3_close(db);
    fs::remove_all(dir);
  }
  // About `pages` pages of 4 KiB rows, one commit per 100 pages.
  void write_pages(int pages) {
    for (int done = 0; done < pages; done += 100) {
      REQUIRE(sqlite3_exec(db,
                           "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n "
                           "WHERE i < 100) INSERT INTO t SELECT randomblob(3500) FROM n; COMMIT;",
                           nullptr, nullptr, nullptr) == SQLITE_OK);
    }
  }
};

}  // namespace

TEST_CASE("wal checkpointer copies the log back on its own thread", "[runtime]") {
  TempDatabase database;
  auto checkpointer =
      statefun::WalCheckpointer::attach(database.db, (database.dir / "db").string(), false);
  REQUIRE(checkpointer);
  database.write_pages(300);
  CHECK(checkpointer->checkpoints() == 0);  // under the threshold: nothing asked
  database.write_pages(1200);
  // Waiting for the thread is not a timing assertion: it only has to happen.
  for (int i = 0; i < 1000 && checkpointer->checkpoints() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(checkpointer->checkpoints() > 0);
  // The pages are in the database file itself now, not only in the log.
  CHECK(fs::file_size(database.dir / "db") > 1000u * 4096u);
  checkpointer.reset();
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(database.db, "SELECT count(*) FROM t", -1, &stmt, nullptr) ==
          SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  CHECK(sqlite3_column_int(stmt, 0) == 1500);  // every row written survived
  sqlite3_finalize(stmt);
}
