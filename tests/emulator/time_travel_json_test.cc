// The JSON documents of state history, rewind, replay and snapshots
// (emulator/time_travel_json.h), the statefun.yaml keys for snapshots and
// retention, and the data directory lock.
#include "emulator/admin/time_travel_json.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "emulator/config/dev_config.h"
#include "emulator/dev/data_lock.h"
#include "emulator/dev/reopenable_reader.h"
#include "runtime/store/store.h"

namespace statefun::emulator {
namespace {
namespace fs = std::filesystem;

const Address kBob{{"example", "person"}, "Bob"};
const Address kAnn{{"example", "person"}, "Ann"};

struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("statefun-tt-json-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string db() const { return database_path(path.string()); }
};

constexpr int64_t kNow = 1764021492350;  // 2025-11-24T21:58:12.350Z

}  // namespace

TEST_CASE("history lists every change with its cause and decoded value", "[emulator]") {
  TempDir dir;
  {
    auto store = Store::open(dir.db(), {});
    REQUIRE(store);
    auto& s = **store;
    REQUIRE(s.begin());
    const TypedValue one{"io.statefun.types/int", true, std::string("\x0d\x01\x00\x00\x00", 5)};
    REQUIRE(s.write_state(kBob, "visits", one, std::nullopt, {3, kNow, "example/Greet", kAnn}));
    REQUIRE(s.write_state(kBob, "name", {"example/json", true, R"({"n":"Bob"})"}, std::nullopt,
                          {3, kNow, "example/Greet", kAnn}));
    REQUIRE(s.delete_state(kBob, "name", {4, kNow + 5, "statefun/state-rm", std::nullopt}));
    REQUIRE(s.commit());
  }
  auto reader = StoreReader::open(dir.db());
  REQUIRE(reader);
  auto all = query_history(**reader, kBob, "");
  REQUIRE(all);
  CHECK((*all)["latest_version"] == 2);
  CHECK((*all)["floor"] == 0);
  const auto& rows = (*all)["history"];
  REQUIRE(rows.size() == 3);
  CHECK(rows[0]["version"] == 1);
  CHECK(rows[0]["name"] == "name");
  CHECK(rows[0]["value"] == Json{{"n", "Bob"}});
  CHECK(rows[1]["name"] == "visits");
  CHECK(rows[1]["value"] == 1);
  CHECK(rows[1]["cause"] == "example/Greet");
  CHECK(rows[1]["caller"] == "example/person/Ann");
  CHECK(rows[1]["step"] == 3);
  CHECK(rows[2]["deleted"] == true);
  CHECK(rows[2]["value"].is_null());
  CHECK(rows[2]["caller"].is_null());

  auto one = query_history(**reader, kBob, "visits");
  REQUIRE(one);
  CHECK((*one)["history"].size() == 1);

  auto unknown = query_history(**reader, kAnn, "");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == ErrorCode::kNotFound);
  auto no_name = query_history(**reader, kBob, "vists");
  REQUIRE_FALSE(no_name);
  CHECK(no_name.error().code == ErrorCode::kNotFound);
  CHECK_THAT(no_name.error().message, Catch::Matchers::Contains("name, visits"));
}

TEST_CASE("rewind and replay results carry decoded before and after values", "[emulator]") {
  time_travel::RewindOutcome outcome;
  outcome.from_version = 5;
  outcome.to_version = 2;
  outcome.new_version = 6;
  outcome.changes = {
      {"count", TypedValue{"example/json", true, "5"}, TypedValue{"example/json", true, "2"}},
      {"extra", TypedValue{"example/json", true, "1"}, std::nullopt}};
  const Json done = rewind_json(kBob, outcome, false);
  CHECK(done["changed"] == true);
  CHECK(done["changes"][0]["before"]["value"] == 5);
  CHECK(done["changes"][0]["after"]["value"] == 2);
  CHECK(done["changes"][1]["after"].is_null());
  outcome.new_version = outcome.from_version;
  CHECK(rewind_json(kBob, outcome, true)["changed"] == false);

  SimulationResult result;
  result.final_state["count"] = TypedValue{"example/json", true, "7"};
  result.messages.push_back({kAnn, {"example/json", true, "1"}});
  result.delayed.push_back({true, "t1", 0, {}, {}});
  result.egress.push_back({"io.statefun.playground", "egress", {"example/json", true, "{}"}});
  const Json simulated = simulation_json(kBob, 0, result, 3);
  CHECK(simulated["replayed"] == 3);
  CHECK(simulated["state"]["count"]["value"] == 7);
  CHECK(simulated["messages"][0]["target"] == "example/person/Ann");
  CHECK(simulated["delayed"][0]["cancel"] == true);
  CHECK(simulated["delayed"][0]["token"] == "t1");
  CHECK(simulated["egress"][0]["egress"] == "io.statefun.playground/egress");
}

TEST_CASE("statefun.yaml takes snapshot and retention settings", "[emulator]") {
  auto config = parse_dev_config(
      "snapshots:\n  every: 10m\n  keep: 3\n  on_exit: false\nretention:\n  history_versions: "
      "50\n  age: 2d\n",
      "statefun.yaml", "/p");
  REQUIRE(config);
  const auto& s = config->settings;
  CHECK(s.snapshot_every == std::chrono::minutes(10));
  CHECK(s.snapshot_keep == 3);
  CHECK(s.snapshot_on_exit == false);
  CHECK(s.history_versions == 50);
  CHECK(s.retention_age == std::chrono::hours(48));

  DevOverrides overrides;
  overrides.settings.snapshot_keep = 9;
  CHECK(apply_overrides(*config, overrides).settings.snapshot_keep == 9);

  auto no_unit = parse_dev_config("snapshots:\n  every: 10\n", "statefun.yaml", "/p");
  REQUIRE_FALSE(no_unit);
  CHECK(no_unit.error().message ==
        "statefun.yaml:2:10: snapshots.every: \"10\" has no unit; write e.g. \"10m\" or \"10s\"");
  auto typo = parse_dev_config("retention:\n  age: 1d\n  versions: 5\n", "statefun.yaml", "/p");
  REQUIRE_FALSE(typo);
  CHECK_THAT(typo.error().message, Catch::Matchers::Contains("retention.versions: unknown key"));
  auto negative = parse_dev_config("retention:\n  history_versions: -1\n", "statefun.yaml", "/p");
  REQUIRE_FALSE(negative);

  auto sized = parse_dev_config("retention:\n  size: 500MB\n", "statefun.yaml", "/p");
  REQUIRE(sized);
  CHECK(sized->settings.retention_size == 500'000'000);
  auto bare_size = parse_dev_config("retention:\n  size: 500\n", "statefun.yaml", "/p");
  REQUIRE_FALSE(bare_size);
  CHECK(bare_size.error().message ==
        "statefun.yaml:2:9: retention.size: \"500\" has no unit; write e.g. \"500MB\" or "
        "\"500MiB\"");
}

TEST_CASE("a data directory is used by one holder at a time", "[emulator]") {
  TempDir dir;
  auto first = DataDirLock::acquire(dir.path.string(), "statefun dev (pid 1, admin port 8092)");
  REQUIRE(first);
  auto second = DataDirLock::acquire(dir.path.string(), "someone else");
  REQUIRE_FALSE(second);
  CHECK(second.error().code == ErrorCode::kFailedPrecondition);
  CHECK_THAT(second.error().message,
             Catch::Matchers::EndsWith("is in use by statefun dev (pid 1, admin port 8092)"));
  { auto released = std::move(*first); }
  CHECK(DataDirLock::acquire(dir.path.string(), "again"));
}

// Issue 14.7: deleting statefun.lock let a second statefun dev open the
// same database.
TEST_CASE("the database file is locked too: deleting statefun.lock lets no one in", "[emulator]") {
  TempDir dir;
  { REQUIRE(Store::open(dir.db(), {})); }  // the database exists
  auto first = DataDirLock::acquire(dir.path.string(), "statefun dev (pid 1)");
  REQUIRE(first);
  std::filesystem::remove(dir.path / "statefun.lock");
  auto second = DataDirLock::acquire(dir.path.string(), "someone else");
  REQUIRE_FALSE(second);
  CHECK(second.error().code == ErrorCode::kFailedPrecondition);
  CHECK_THAT(second.error().message,
             Catch::Matchers::Contains("statefun.db is locked (although statefun.lock is not"));
  { auto released = std::move(*first); }
  CHECK(DataDirLock::acquire(dir.path.string(), "again"));
}

TEST_CASE("a database created after the lock is locked once lock_database is called",
          "[emulator]") {
  TempDir dir;
  auto first = DataDirLock::acquire(dir.path.string(), "statefun dev (pid 1)");
  REQUIRE(first);
  { REQUIRE(Store::open(dir.db(), {})); }  // created now, as statefun dev does
  REQUIRE(first->lock_database());
  std::filesystem::remove(dir.path / "statefun.lock");
  CHECK_FALSE(DataDirLock::acquire(dir.path.string(), "someone else"));
}

TEST_CASE("a reopenable reader follows a replaced database file", "[emulator]") {
  TempDir dir;
  const std::string other = (dir.path / "other.db").string();
  for (const auto& [path, value] : {std::pair{dir.db(), "1"}, std::pair{other, "2"}}) {
    auto store = Store::open(path, {});
    REQUIRE(store);
    REQUIRE((*store)->begin());
    REQUIRE((*store)->write_state(kBob, "v", {"t/v", true, value}, std::nullopt,
                                  {1, kNow, "m", std::nullopt}));
    REQUIRE((*store)->commit());
  }
  auto reader = ReopenableReader::open(dir.db());
  REQUIRE(reader);
  CHECK((*reader)->states(kBob, kNow).value()[0].value == "1");
  REQUIRE((*reader)->while_closed([&]() -> Result<void> {
    fs::copy_file(other, dir.db(), fs::copy_options::overwrite_existing);
    fs::remove(dir.db() + "-wal");
    fs::remove(dir.db() + "-shm");
    return {};
  }));
  CHECK((*reader)->states(kBob, kNow).value()[0].value == "2");
}

}  // namespace statefun::emulator
