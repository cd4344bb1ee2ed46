// Whole-application snapshots of a data directory: state, inbox, timers,
// history, egress and trace, as consistent copies of the database made with
// `VACUUM INTO` from a read-only connection (the engine keeps running; a
// snapshot holds exactly what was committed when it began).
//
// Snapshots live in <data>/snapshots/<name>.db. Names are [A-Za-z0-9._-]+;
// automatic ones start with "auto-". Thread-safe: every call opens its own
// connections.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/core/result.h"
#include "runtime/protocol/model.h"

namespace statefun {

struct SnapshotInfo {
  std::string name;
  std::string path;
  int64_t created_at_ms = 0;
  int64_t size_bytes = 0;
  int64_t last_step = 0;
  int64_t entities = 0;  // addresses with state
  int64_t pending = 0;   // messages not yet processed
  int64_t timers = 0;
  bool automatic = false;
};

struct StateDifference {
  Address address;
  std::string name;
  std::optional<TypedValue> a;  // nullopt: absent in A
  std::optional<TypedValue> b;  // nullopt: absent in B
};

class Snapshots {
 public:
  explicit Snapshots(std::string data_dir);

  // Creates a snapshot; an empty name makes an automatic one. Errors:
  // kInvalidArgument for a bad name, kFailedPrecondition when it exists.
  Result<SnapshotInfo> create(const std::string& name);
  // Every snapshot, oldest first. A file in snapshots/ that is not one (a
  // stray or damaged .db) is skipped, not an error: when `skipped` is given,
  // it gets one "snapshots/<file>: <why>" line per such file.
  Result<std::vector<SnapshotInfo>> list(std::vector<std::string>* skipped = nullptr) const;
  Result<SnapshotInfo> info(const std::string& name) const;  // kNotFound if absent
  Result<void> remove(const std::string& name);
  // Keeps the newest `keep` automatic snapshots; returns how many went.
  Result<int> prune_automatic(int keep);
  // The addresses and states whose values differ. "current" names the live
  // database.
  Result<std::vector<StateDifference>> diff(const std::string& a, const std::string& b) const;

  // The database file a name stands for ("current" = the live one).
  std::string path_of(const std::string& name) const;
  const std::string& data_dir() const { return m_data_dir; }

 private:
  std::string m_data_dir;
};

// The name of the snapshot a restore takes of the current state first, so
// that the restore can be undone: before-restore-<UTC time>. It does not
// count as automatic (statefun dev --snapshot-keep never removes it).
std::string undo_snapshot_name();

// Replaces the database at `db_path` with a copy of the snapshot (the live
// store must be closed). Refuses a snapshot written by a newer statefun.
// The replaced database's high-water marks (the highest step and timer id
// ever used) are carried into the copy, so ids keep growing across it.
Result<void> install_snapshot(const std::string& snapshot_path, const std::string& db_path);

}  // namespace statefun
