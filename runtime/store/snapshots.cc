#include "runtime/store/snapshots.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <map>

#include "runtime/store/sqlite.h"
#include "runtime/store/sqlite_rows.h"
#include "runtime/store/store.h"

namespace statefun {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kAutomaticPrefix = "auto-";

// A read-only connection to a database file that must exist.
Result<sqlite::Connection> open_read_only(const std::string& path) {
  if (!fs::exists(path)) {
    return make_error(ErrorCode::kNotFound, fmt::format("{}: no such database", path));
  }
  return sqlite::Connection::open(path, {.access = sqlite::Access::kReadOnly});
}

Result<void> check_name(const std::string& name) {
  const bool valid = !name.empty() && name != "current" && name.front() != '.' &&
                     std::all_of(name.begin(), name.end(), [](unsigned char c) {
                       return std::isalnum(c) || c == '.' || c == '_' || c == '-';
                     });
  if (!valid) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("invalid snapshot name '{}': use letters, digits, '.', '_' and "
                                  "'-' (and not 'current')",
                                  name));
  }
  return {};
}

std::string timestamped_name(std::string_view prefix) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{}{:04}{:02}{:02}-{:02}{:02}{:02}-{:03}", prefix, utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, ms);
}

Result<SnapshotInfo> describe(const std::string& name, const std::string& path) {
  auto db = open_read_only(path);
  if (!db) return std::unexpected(db.error());
  SnapshotInfo info;
  info.name = name;
  info.path = path;
  info.automatic = name.rfind(kAutomaticPrefix, 0) == 0;
  std::error_code ec;
  info.size_bytes = static_cast<int64_t>(fs::file_size(path, ec));
  struct stat status {};
  if (::stat(path.c_str(), &status) == 0) {
    info.created_at_ms = int64_t{status.st_mtim.tv_sec} * 1000 + status.st_mtim.tv_nsec / 1000000;
  }
  auto step = db->scalar(sqlite_rows::kLastStepSql, "reading the last step");
  auto entities = db->scalar("SELECT count(*) FROM (SELECT DISTINCT ns,type,id FROM state)",
                             "counting entities");
  auto pending =
      db->scalar("SELECT count(*) FROM inbox WHERE consumed_step IS NULL", "counting messages");
  auto timers = db->scalar("SELECT count(*) FROM timers", "counting timers");
  for (auto* r : {&step, &entities, &pending, &timers}) {
    if (!*r) return std::unexpected(r->error());
  }
  info.last_step = *step;
  info.entities = *entities;
  info.pending = *pending;
  info.timers = *timers;
  return info;
}

}  // namespace

Snapshots::Snapshots(std::string data_dir) : m_data_dir(std::move(data_dir)) {}

std::string Snapshots::path_of(const std::string& name) const {
  if (name == "current") return database_path(m_data_dir);
  return (fs::path(m_data_dir) / "snapshots" / (name + ".db")).string();
}

Result<SnapshotInfo> Snapshots::create(const std::string& requested) {
  const std::string name = requested.empty() ? timestamped_name(kAutomaticPrefix) : requested;
  if (auto r = check_name(name); !r) return std::unexpected(r.error());
  const std::string target = path_of(name);
  if (fs::exists(target)) {
    return make_error(ErrorCode::kFailedPrecondition,
                      fmt::format("snapshot '{}' already exists ({})", name, target));
  }
  std::error_code ec;
  fs::create_directories(fs::path(target).parent_path(), ec);
  if (ec) {
    return make_error(
        ErrorCode::kIo,
        fmt::format("cannot create {}: {}", fs::path(target).parent_path().string(), ec.message()));
  }
  auto db = open_read_only(database_path(m_data_dir));
  if (!db) return std::unexpected(db.error());
  // Write to a temporary name first so a crash never leaves a half snapshot.
  const std::string partial = target + ".partial";
  fs::remove(partial, ec);
  if (auto r = db->exec("VACUUM INTO " + sqlite::quote(partial)); !r) {
    return std::unexpected(r.error());
  }
  fs::rename(partial, target, ec);
  if (ec) return make_error(ErrorCode::kIo, fmt::format("{}: {}", target, ec.message()));
  return describe(name, target);
}

Result<std::vector<SnapshotInfo>> Snapshots::list(std::vector<std::string>* skipped) const {
  std::vector<SnapshotInfo> out;
  const fs::path dir = fs::path(m_data_dir) / "snapshots";
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  // One file that is not a snapshot must not hide all the others.
  auto skip = [&](const fs::path& file, const std::string& why) {
    if (skipped) skipped->push_back(fmt::format("snapshots/{}: {}", file.filename().string(), why));
  };
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".db") continue;
    const std::string name = entry.path().stem().string();
    if (!check_name(name)) {
      skip(entry.path(), "not a snapshot name (letters, digits, '.', '_' and '-')");
      continue;
    }
    if (!entry.is_regular_file(ec)) {
      skip(entry.path(), "not a regular file");
      continue;
    }
    auto info = describe(name, entry.path().string());
    if (!info) {
      std::string_view why = info.error().message;  // "<path>: <what>: <SQLite's words>"
      const std::string prefix = entry.path().string() + ": ";
      if (why.starts_with(prefix)) why.remove_prefix(prefix.size());
      skip(entry.path(), fmt::format("not a statefun snapshot ({})", why));
      continue;
    }
    out.push_back(std::move(*info));
  }
  std::sort(out.begin(), out.end(), [](const SnapshotInfo& a, const SnapshotInfo& b) {
    return std::tie(a.created_at_ms, a.name) < std::tie(b.created_at_ms, b.name);
  });
  return out;
}

Result<SnapshotInfo> Snapshots::info(const std::string& name) const {
  if (auto r = check_name(name); !r) return std::unexpected(r.error());
  const std::string path = path_of(name);
  if (!fs::exists(path)) {
    return make_error(ErrorCode::kNotFound, fmt::format("no snapshot named '{}'", name));
  }
  return describe(name, path);
}

Result<void> Snapshots::remove(const std::string& name) {
  if (auto r = info(name); !r) return std::unexpected(r.error());
  std::error_code ec;
  fs::remove(path_of(name), ec);
  if (ec) return make_error(ErrorCode::kIo, fmt::format("{}: {}", path_of(name), ec.message()));
  return {};
}

Result<int> Snapshots::prune_automatic(int keep) {
  auto all = list();
  if (!all) return std::unexpected(all.error());
  std::vector<SnapshotInfo> automatic;
  for (auto& s : *all) {
    if (s.automatic) automatic.push_back(s);
  }
  int removed = 0;
  for (std::size_t i = 0; i + keep < automatic.size(); ++i) {
    if (auto r = remove(automatic[i].name); !r) return std::unexpected(r.error());
    ++removed;
  }
  return removed;
}

Result<std::vector<StateDifference>> Snapshots::diff(const std::string& a,
                                                     const std::string& b) const {
  for (const auto& name : {a, b}) {
    if (name == "current") continue;
    if (auto r = info(name); !r) return std::unexpected(r.error());
  }
  auto db = open_read_only(path_of(a));
  if (!db) return std::unexpected(db.error());
  if (auto attached = db->exec("ATTACH DATABASE " +
                               sqlite::quote(sqlite::read_only_uri(path_of(b))) + " AS other");
      !attached) {
    return std::unexpected(attached.error());
  }
  // Rows of A missing or different in B, then rows only in B.
  auto q = db->prepare(
      "SELECT a.ns,a.type,a.id,a.name,a.typename,a.value,b.typename,b.value FROM main.state a "
      "LEFT JOIN other.state b USING (ns,type,id,name) "
      "WHERE b.value IS NULL OR a.value IS NOT b.value OR a.typename IS NOT b.typename "
      "UNION ALL "
      "SELECT b.ns,b.type,b.id,b.name,NULL,NULL,b.typename,b.value FROM other.state b "
      "LEFT JOIN main.state a USING (ns,type,id,name) WHERE a.value IS NULL "
      "ORDER BY 1,2,3,4");
  if (!q) return std::unexpected(q.error());
  std::vector<StateDifference> out;
  auto done = q->for_each_row("comparing state", [&](const sqlite::Statement& row) {
    StateDifference d;
    d.address = sqlite_rows::address(row, 0);
    d.name = row.column_text(3);
    if (!row.column_is_null(4)) d.a = TypedValue{row.column_text(4), true, row.column_blob(5)};
    if (!row.column_is_null(6)) d.b = TypedValue{row.column_text(6), true, row.column_blob(7)};
    out.push_back(std::move(d));
  });
  if (!done) return std::unexpected(done.error());
  return out;
}

namespace {

// The highest step id and timer id the database at `path` ever used (0, 0
// when there is none yet).
Result<std::pair<int64_t, int64_t>> high_water_marks(const std::string& path) {
  if (!fs::exists(path)) return std::pair<int64_t, int64_t>{0, 0};
  auto db = open_read_only(path);
  if (!db) return std::unexpected(db.error());
  auto step = db->scalar(sqlite_rows::kLastStepSql, "reading the last step");
  if (!step) return std::unexpected(step.error());
  auto timer = db->scalar(sqlite_rows::kLastTimerIdSql, "reading the last timer id");
  if (!timer) return std::unexpected(timer.error());
  return std::pair{*step, *timer};
}

// Carries the replaced database's marks into the restored copy, so step and
// timer ids keep growing across the restore (`statefun trace --follow`
// sees the steps after it; a timer id never names two timers).
Result<void> raise_marks(const std::string& path, std::pair<int64_t, int64_t> marks) {
  auto db = sqlite::Connection::open(path, {.access = sqlite::Access::kReadWrite});
  if (!db) return std::unexpected(db.error());
  // No WAL beside the staged file: it is renamed alone.
  if (auto r = db->exec("PRAGMA journal_mode=DELETE"); !r) return r;
  for (const auto& [key, value] :
       {std::pair<std::string, int64_t>{"step_high_water", marks.first},
        std::pair<std::string, int64_t>{"timer_high_water", marks.second}}) {
    auto raise = db->prepare(sqlite_rows::kRaiseMarkSql);
    if (!raise) return std::unexpected(raise.error());
    raise->text(key).integer(value);
    if (auto r = raise->run("carrying a high-water mark over"); !r) return r;
  }
  return {};
}

}  // namespace

std::string undo_snapshot_name() { return timestamped_name("before-restore-"); }

Result<void> install_snapshot(const std::string& snapshot_path, const std::string& db_path) {
  {
    auto db = open_read_only(snapshot_path);
    if (!db) return std::unexpected(db.error());
    auto version = db->scalar("PRAGMA user_version", "reading the schema version");
    if (!version) return std::unexpected(version.error());
    if (*version > kStoreSchemaVersion) {
      return make_error(
          ErrorCode::kFailedPrecondition,
          fmt::format("{}: written by a newer statefun (schema {})", snapshot_path, *version));
    }
  }
  auto marks = high_water_marks(db_path);
  if (!marks) return std::unexpected(marks.error());
  std::error_code ec;
  const std::string staged = db_path + ".restoring";
  fs::copy_file(snapshot_path, staged, fs::copy_options::overwrite_existing, ec);
  if (ec) return make_error(ErrorCode::kIo, fmt::format("{}: {}", staged, ec.message()));
  if (auto r = raise_marks(staged, *marks); !r) {
    fs::remove(staged, ec);
    return r;
  }
  // The old WAL belongs to the old database: it must not be replayed onto the new one.
  fs::remove(db_path + "-wal", ec);
  fs::remove(db_path + "-shm", ec);
  fs::rename(staged, db_path, ec);
  if (ec) return make_error(ErrorCode::kIo, fmt::format("{}: {}", db_path, ec.message()));
  return {};
}

}  // namespace statefun
