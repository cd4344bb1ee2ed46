#include "runtime/store/snapshots.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "runtime/store/store.h"
#include "tests/runtime/engine_rig.h"

using namespace statefun;
using namespace statefun::test;
namespace fs = std::filesystem;

namespace {

const Address kBob{{"test", "counter"}, "Bob"};

TypedValue int_value(int32_t n) { return {"io.statefun.types/int", true, types::encode_int(n)}; }

// A scratch directory for one SQLite database and its snapshots.
struct ScratchDir {
  fs::path dir = fs::temp_directory_path() / ("statefun-snap-" + std::to_string(::getpid()));
  ScratchDir() {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~ScratchDir() { fs::remove_all(dir); }
};

// An engine whose store can be swapped by a restore.
struct Rig : ScratchDir, EngineRig {
  Snapshots snapshots{dir.string()};

  Rig()
      : EngineRig([](const BatchRequest& r) { return answer(counter(r)); },
                  [path = database_path(dir.string())] {
                    auto store = Store::open(path, {false});
                    REQUIRE(store);
                    return std::move(*store);
                  }) {
    start();
  }
  void send(const Address& a, int32_t n) { REQUIRE(EngineRig::send(a, int_value(n))); }
  int32_t count() { return count_of(kBob).value_or(-1); }
  Result<void> restore(const std::string& name) {
    auto done = std::make_shared<std::optional<Result<void>>>();
    const std::string snapshot = snapshots.path_of(name);
    group(RestoreEvent{[this, snapshot](Store*) -> Result<Store*> {
                         store.reset();  // close before the file is replaced
                         if (auto r = install_snapshot(snapshot, database_path(dir.string())); !r) {
                           return std::unexpected(r.error());
                         }
                         store = open_store();
                         return store.get();
                       },
                       into(done)});
    REQUIRE(done->has_value());
    return **done;
  }
};

}  // namespace

TEST_CASE("snapshots are created, described, listed, diffed and removed", "[runtime]") {
  Rig rig;
  rig.send(kBob, 5);
  REQUIRE(rig.run_until_idle());
  auto first = rig.snapshots.create("before");
  REQUIRE(first);
  CHECK(first->entities == 1);
  CHECK(first->size_bytes > 0);
  CHECK_FALSE(first->automatic);
  auto duplicate = rig.snapshots.create("before");
  REQUIRE_FALSE(duplicate);
  CHECK(duplicate.error().message.find("already exists") != std::string::npos);
  CHECK_FALSE(rig.snapshots.create("../escape"));

  rig.send(kBob, 1);
  rig.send({{"test", "counter"}, "Alice"}, 1);
  REQUIRE(rig.run_until_idle());
  auto automatic = rig.snapshots.create("");
  REQUIRE(automatic);
  CHECK(automatic->automatic);
  auto all = rig.snapshots.list();
  REQUIRE(all);
  CHECK(all->size() == 2);

  auto differences = rig.snapshots.diff("before", "current");
  REQUIRE(differences);
  REQUIRE(differences->size() == 2);  // Bob changed, Alice appeared
  CHECK((*differences)[0].address.id == "Alice");
  CHECK_FALSE((*differences)[0].a);
  CHECK((*differences)[1].b == int_value(6));

  CHECK(rig.snapshots.prune_automatic(0) == 1);
  REQUIRE(rig.snapshots.remove("before"));
  CHECK(rig.snapshots.list()->empty());
  CHECK(rig.snapshots.remove("before").error().code == ErrorCode::kNotFound);
}

TEST_CASE("restoring a snapshot on a running engine swaps state, inbox and timers", "[runtime]") {
  Rig rig;
  rig.send(kBob, 5);
  REQUIRE(rig.run_until_idle());
  // A message still pending in the snapshot: the function is held.
  rig.function.hold(true);
  rig.send(kBob, 100);
  REQUIRE(rig.snapshots.create("mid"));
  rig.function.hold(false);
  rig.function.release();
  REQUIRE(rig.run_until_idle());
  rig.send(kBob, 1000);
  REQUIRE(rig.run_until_idle());
  CHECK(rig.count() == 1105);

  REQUIRE(rig.restore("mid"));
  // The snapshot's pending message (100) is delivered again; 1000 never happened.
  REQUIRE(rig.run_until_idle());
  CHECK(rig.count() == 105);
  rig.send(kBob, 1);
  REQUIRE(rig.run_until_idle());
  CHECK(rig.count() == 106);
}

TEST_CASE("after a restore, step and timer ids go on from the highest ever used", "[runtime]") {
  Rig rig;
  rig.send(kBob, 5);
  REQUIRE(rig.run_until_idle());
  REQUIRE(rig.snapshots.create("early"));
  rig.send(kBob, 1);
  rig.send(kBob, 1);
  REQUIRE(rig.run_until_idle());
  REQUIRE(rig.engine->status().steps == 3);
  // A timer that fires before the restore (its id must not come back).
  REQUIRE(rig.store->begin());
  TimerRecord fired{0, 0, kBob, kBob, int_value(0), ""};
  REQUIRE(rig.store->add_timer(fired));
  REQUIRE(rig.store->remove_timer(fired.id));
  REQUIRE(rig.store->commit());

  REQUIRE(rig.restore("early"));
  CHECK(rig.engine->status().steps == 3);  // not the snapshot's 1
  rig.send(kBob, 1);
  REQUIRE(rig.run_until_idle());
  REQUIRE(rig.recorder.steps.size() == 4);
  CHECK(rig.recorder.steps.back().step == 4);
  CHECK(rig.count() == 6);
  REQUIRE(rig.store->begin());
  TimerRecord next{0, 0, kBob, kBob, int_value(0), ""};
  REQUIRE(rig.store->add_timer(next));
  CHECK(next.id > fired.id);
  REQUIRE(rig.store->rollback());
}

namespace {

// A data directory holding one committed state per address given.
struct DataDir {
  fs::path dir;
  explicit DataDir(const std::string& name)
      : dir(fs::temp_directory_path() / (name + std::to_string(::getpid()))) {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~DataDir() { fs::remove_all(dir); }
  void write(int entities) {
    auto store = Store::open(database_path(dir.string()), {false});
    REQUIRE(store);
    REQUIRE((*store)->begin());
    for (int i = 0; i < entities; ++i) {
      const Address address{{"test", "counter"}, "id" + std::to_string(i)};
      REQUIRE((*store)->write_state(address, "count", int_value(i), std::nullopt,
                                    {i + 1, 0, "test/seed", std::nullopt}));
    }
    REQUIRE((*store)->commit());
  }
};

}  // namespace

TEST_CASE("snapshots work in a data directory whose path has URI characters", "[runtime]") {
  DataDir data("statefun-snap-?#%-");
  data.write(1);
  Snapshots snapshots(data.dir.string());
  auto created = snapshots.create("one");
  REQUIRE(created);
  CHECK(created->entities == 1);
  auto differences = snapshots.diff("one", "current");
  REQUIRE(differences);
  CHECK(differences->empty());
}

TEST_CASE("a snapshot whose pages are damaged is reported as corrupt, not as empty", "[runtime]") {
  DataDir data("statefun-snap-damaged-");
  data.write(2000);
  Snapshots snapshots(data.dir.string());
  REQUIRE(snapshots.create("damaged"));
  // Keep page 1 (the schema, so statements still compile) and overwrite every
  // later page, where the tables are.
  const auto path = snapshots.path_of("damaged");
  const auto size = fs::file_size(path);
  REQUIRE(size > 8 * 4096);
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(4096);
    file << std::string(size - 4096, '\x5a');
  }
  auto info = snapshots.info("damaged");
  REQUIRE_FALSE(info);
  CHECK(info.error().code == ErrorCode::kCorruption);
  CHECK(info.error().message.find(path) != std::string::npos);
  auto differences = snapshots.diff("damaged", "current");
  REQUIRE_FALSE(differences);
  CHECK(differences.error().code == ErrorCode::kCorruption);
}

// Issue 14.8: one stray file in snapshots/ made the whole list fail.
TEST_CASE("files in snapshots/ that are not snapshots are skipped and named", "[runtime]") {
  Rig rig;
  rig.send(kBob, 5);
  REQUIRE(rig.run_until_idle());
  REQUIRE(rig.snapshots.create("good"));
  const fs::path dir = rig.dir / "snapshots";
  std::ofstream(dir / "notes.db") << "not a database at all, but long enough to have a header";
  std::ofstream(dir / "empty.db");  // zero bytes: SQLite sees an empty database
  std::ofstream(dir / "has space.db") << "x";
  fs::create_directories(dir / "folder.db");
  std::ofstream(dir / "README.txt") << "not .db: not even looked at";
  std::vector<std::string> skipped;
  auto all = rig.snapshots.list(&skipped);
  REQUIRE(all);
  REQUIRE(all->size() == 1);
  CHECK((*all)[0].name == "good");
  std::sort(skipped.begin(), skipped.end());
  REQUIRE(skipped.size() == 4);
  CHECK(skipped[0].starts_with("snapshots/empty.db: not a statefun snapshot ("));
  CHECK(skipped[1] == "snapshots/folder.db: not a regular file");
  CHECK(skipped[2] ==
        "snapshots/has space.db: not a snapshot name (letters, digits, '.', '_' and '-')");
  CHECK(skipped[3].starts_with("snapshots/notes.db: not a statefun snapshot ("));
  CHECK(rig.snapshots.prune_automatic(0) == 0);  // and the stray files do not stop pruning
}
