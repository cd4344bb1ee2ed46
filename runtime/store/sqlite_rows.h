// Internal to runtime/*.cc that talk SQLite: reading our row shapes out of a
// statement, so the engine's store and read-only readers map rows alike.
#pragma once

#include <sqlite3.h>

#include <string>

#include "runtime/store/store.h"

namespace statefun::sqlite_rows {

inline std::string text(sqlite3_stmt* stmt, int col) {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
  return data ? std::string(data, sqlite3_column_bytes(stmt, col)) : std::string();
}

inline std::string blob(sqlite3_stmt* stmt, int col) {
  const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt, col));
  return data ? std::string(data, sqlite3_column_bytes(stmt, col)) : std::string();
}

inline Address address(sqlite3_stmt* stmt, int col) {
  return Address{{text(stmt, col), text(stmt, col + 1)}, text(stmt, col + 2)};
}

inline bool is_null(sqlite3_stmt* stmt, int col) {
  return sqlite3_column_type(stmt, col) == SQLITE_NULL;
}

// Columns: version, name, typename, value, step, at, cause_type, cause_caller.
inline HistoryRow history(sqlite3_stmt* s) {
  HistoryRow row;
  row.version = sqlite3_column_int64(s, 0);
  row.name = text(s, 1);
  if (!is_null(s, 2)) row.value = TypedValue{text(s, 2), true, blob(s, 3)};
  row.step = sqlite3_column_int64(s, 4);
  row.at_ms = sqlite3_column_int64(s, 5);
  row.cause_type = text(s, 6);
  if (!is_null(s, 7)) row.cause_caller = text(s, 7);
  return row;
}

}  // namespace statefun::sqlite_rows
