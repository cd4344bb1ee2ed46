// statefun-store-bench: state-database figures at scale, through the engine's
// own code paths (no HTTP): seeding N entities, rewinding one entity among
// N, snapshot create and restore time and size, bytes per entity, history
// growth per step. Prints one JSON object. The store runs with statefun
// dev's defaults (WAL, synchronous=NORMAL: crash-safe, no fsync per commit).
//
//   statefun-store-bench [--entities 1000000] [--dir /tmp/statefun-store-bench]
//   statefun-store-bench --seed-only --entities 1000000 --pending 100000 --dir DIR
//     (leaves DIR as a data directory for `statefun dev --data DIR`)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "runtime/engine/dispatcher.h"
#include "runtime/engine/time_travel.h"
#include "runtime/protocol/well_known_types.h"
#include "runtime/store/snapshots.h"
#include "runtime/store/sqlite.h"
#include "runtime/store/store.h"

using namespace statefun;
namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

namespace {

double ms_since(Steady::time_point start) {
  return std::chrono::duration<double, std::milli>(Steady::now() - start).count();
}

TypedValue int_value(int32_t n) { return {"io.statefun.types/int", true, types::encode_int(n)}; }

Address entity(long i) { return Address{{"bench", "counter"}, "k" + std::to_string(i)}; }

// The database's size once its WAL is folded in (a checkpoint from a second
// connection), so growth is measured in pages really used.
int64_t file_bytes(const fs::path& dir) {
  const std::string path = database_path(dir.string());
  if (auto db = sqlite::Connection::open(path, {})) {
    (void)db->exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  return ec ? 0 : static_cast<int64_t>(size);
}

// A client that must never be called: the benchmark sends no messages.
class NoFunctions final : public FunctionClient {
 public:
  void call(const std::string&, std::string, const CallOptions&,
            std::function<void(CallOutcome)> done) override {
    done(CallOutcome{false, {}, {CallErrorKind::kConnect, 0, "no functions in this benchmark"}});
  }
  void shutdown() override {}
};

void fail(const Error& e) {
  std::fprintf(stderr, "statefun-store-bench: %s\n", e.message.c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  long entities = 1000000;
  long pending = 0;
  bool seed_only = false;
  fs::path dir = fs::temp_directory_path() / "statefun-store-bench";
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--seed-only") {
      seed_only = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "statefun-store-bench: %s needs a value\n", flag.c_str());
      return 2;
    }
    if (flag == "--entities")
      entities = std::stol(argv[++i]);
    else if (flag == "--pending")
      pending = std::stol(argv[++i]);
    else if (flag == "--dir")
      dir = argv[++i];
    else {
      std::fprintf(stderr, "statefun-store-bench: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  fs::remove_all(dir);
  fs::create_directories(dir);
  nlohmann::json out;
  out["entities"] = entities;

  auto opened = Store::open(database_path(dir.string()), {});
  if (!opened) fail(opened.error());
  std::unique_ptr<Store> store = std::move(*opened);
  const int64_t empty_bytes = file_bytes(dir);

  // Seed: one state per entity, 3 versions for entity 0 (the rewind target),
  // committed in groups the way the engine commits steps.
  auto start = Steady::now();
  int64_t step = 0;
  const long group = 5000;
  for (long i = 0; i < entities; i += group) {
    if (auto r = store->begin(); !r) fail(r.error());
    for (long j = i; j < std::min(entities, i + group); ++j) {
      ++step;
      if (auto r = store->write_state(entity(j), "count", int_value(1), std::nullopt,
                                      {step, 0, "bench/seed", std::nullopt});
          !r) {
        fail(r.error());
      }
    }
    if (auto r = store->commit(); !r) fail(r.error());
  }
  // Pending messages, as an emulator that was stopped under load leaves them.
  if (auto r = store->begin(); !r) fail(r.error());
  for (long i = 0; i < pending; ++i) {
    InboxMessage message{
        0, entity(i % entities), std::nullopt, int_value(1), MessageSource::kIngress, 1};
    if (auto r = store->append_inbox(message); !r) fail(r.error());
  }
  if (auto r = store->commit(); !r) fail(r.error());
  out["seed_seconds"] = ms_since(start) / 1000;
  if (seed_only) {
    store.reset();
    out["database_bytes"] = file_bytes(dir);
    std::printf("%s\n", out.dump().c_str());
    return 0;  // the data directory stays for the caller
  }
  const int64_t seeded_bytes = file_bytes(dir);
  out["bytes_per_entity"] = static_cast<double>(seeded_bytes - empty_bytes) / entities;

  // History growth per step: 10,000 more versions of existing entities.
  const long extra = 10000;
  const int64_t before_growth = file_bytes(dir);
  if (auto r = store->begin(); !r) fail(r.error());
  for (long j = 0; j < extra; ++j) {
    ++step;
    (void)store->write_state(entity(j % 100), "count", int_value(static_cast<int32_t>(j)),
                             std::nullopt, {step, 0, "bench/step", std::nullopt});
  }
  if (auto r = store->commit(); !r) fail(r.error());
  out["history_bytes_per_step"] = static_cast<double>(file_bytes(dir) - before_growth) / extra;

  // Rewind one entity among N through the dispatcher (an edit between steps).
  NoFunctions functions;
  SystemClock clock;
  DispatcherOptions options;
  options.store = store.get();
  options.client = &functions;
  options.clock = &clock;
  options.resolve = [](const FunctionType&) { return std::optional<FunctionRoute>(); };
  options.route_egress = [](const EgressMessage&) -> Result<RoutedEgress> {
    return RoutedEgress{};
  };
  auto dispatcher = std::make_unique<Dispatcher>(options);
  if (auto r = dispatcher->start(); !r) fail(r.error());
  std::vector<double> rewinds;
  for (int i = 0; i < 50; ++i) {
    auto outcome = std::make_shared<time_travel::RewindOutcome>();
    std::promise<Result<void>> done;
    const auto t = Steady::now();
    dispatcher->edit_address(
        entity(7), "statefun/rewind",
        time_travel::rewind_edit({time_travel::RewindBy::kSteps, 1}, false, outcome),
        [&done](Result<void> r) { done.set_value(r); });
    auto r = done.get_future().get();
    rewinds.push_back(ms_since(t));
    if (!r) fail(r.error());
  }
  std::sort(rewinds.begin(), rewinds.end());
  out["rewind_ms"] = {{"p50", rewinds[rewinds.size() / 2]}, {"max", rewinds.back()}};

  // Snapshot create beside the running engine, then restore through it.
  Snapshots snapshots(dir.string());
  start = Steady::now();
  auto snapshot = snapshots.create("bench");
  if (!snapshot) fail(snapshot.error());
  out["snapshot_create_seconds"] = ms_since(start) / 1000;
  out["snapshot_bytes"] = snapshot->size_bytes;
  std::promise<Result<void>> restored;
  start = Steady::now();
  dispatcher->restore(
      [&](Store*) -> Result<Store*> {
        store.reset();
        if (auto r = install_snapshot(snapshot->path, database_path(dir.string())); !r) {
          return std::unexpected(r.error());
        }
        auto reopened = Store::open(database_path(dir.string()), {});
        if (!reopened) return std::unexpected(reopened.error());
        store = std::move(*reopened);
        return store.get();
      },
      [&restored](Result<void> r) { restored.set_value(r); });
  if (auto r = restored.get_future().get(); !r) fail(r.error());
  out["snapshot_restore_seconds"] = ms_since(start) / 1000;
  dispatcher.reset();
  store.reset();
  std::printf("%s\n", out.dump().c_str());
  fs::remove_all(dir);
  return 0;
}
