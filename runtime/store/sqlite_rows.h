// Internal to runtime/store: our row shapes in and out of a statement
// (runtime/store/sqlite.h), so the engine's store, the read-only readers and
// snapshots bind and map rows alike.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "runtime/store/sqlite.h"
#include "runtime/store/store.h"

namespace statefun::sqlite_rows {

// An address is three columns (ns, type, id): listing the ids of one function
// type is an index range scan.
inline sqlite::Statement& bind(sqlite::Statement& s, const Address& a) {
  return s.text(a.type.ns).text(a.type.name).text(a.id);
}

// No address: three NULLs.
inline sqlite::Statement& bind(sqlite::Statement& s, const std::optional<Address>& a) {
  if (a) return bind(s, *a);
  return s.null().null().null();
}

// High-water marks, in the meta table: the highest step id and timer id ever
// used. Step ids and timer ids come from them as much as from the rows, so
// an id is never used twice in the life of a data directory, even after its
// rows are gone (a timer fired or was cancelled, retention pruned the
// trace) or a snapshot was restored (install_snapshot carries them over).
inline constexpr const char* kLastStepSql =
    "SELECT max(coalesce((SELECT max(step) FROM trace),0),"
    "coalesce((SELECT value FROM meta WHERE key='step_high_water'),0))";
inline constexpr const char* kLastTimerIdSql =
    "SELECT max(coalesce((SELECT max(id) FROM timers),0),"
    "coalesce((SELECT value FROM meta WHERE key='timer_high_water'),0))";
// Raises a mark (never lowers it); bind the key and the value.
inline constexpr const char* kRaiseMarkSql =
    "INSERT INTO meta(key,value) VALUES(?,?) ON CONFLICT(key) DO UPDATE SET "
    "value=max(value,excluded.value)";

inline Address address(const sqlite::Statement& s, int col) {
  return Address{{s.column_text(col), s.column_text(col + 1)}, s.column_text(col + 2)};
}

// Columns: version, name, typename, value, step, at, cause_type, cause_caller.
inline HistoryRow history(const sqlite::Statement& s) {
  HistoryRow row;
  row.version = s.column_int(0);
  row.name = s.column_text(1);
  if (!s.column_is_null(2)) row.value = TypedValue{s.column_text(2), true, s.column_blob(3)};
  row.step = s.column_int(4);
  row.at_ms = s.column_int(5);
  row.cause_type = s.column_text(6);
  if (!s.column_is_null(7)) row.cause_caller = s.column_text(7);
  return row;
}

// The inbox columns every reader selects, in the order inbox_message() reads.
// The dead_letters table has the same columns (and then dead_step, dead_at,
// cause).
inline constexpr const char* kInboxColumns =
    "seq,ns,type,id,caller_ns,caller_type,caller_id,typename,has_value,value,source,accepted_at,"
    "attempts,first_failed_at,last_failed_at,failure_reason,failure_status,failure_body,"
    "cause_step";
inline constexpr int kInboxColumnCount = 19;

inline InboxMessage inbox_message(const sqlite::Statement& s) {
  InboxMessage m;
  m.seq = s.column_int(0);
  m.target = address(s, 1);
  if (!s.column_is_null(4)) m.caller = address(s, 4);
  m.argument = {s.column_text(7), s.column_int(8) != 0, s.column_blob(9)};
  m.source = static_cast<MessageSource>(s.column_int(10));
  m.accepted_at_ms = s.column_int(11);
  if (s.column_int(12) > 0) {
    auto f = std::make_shared<FailureRecord>();
    f->attempts = static_cast<int>(s.column_int(12));
    f->first_failed_at_ms = s.column_int(13);
    f->last_failed_at_ms = s.column_int(14);
    f->last = {s.column_text(15), static_cast<int>(s.column_int(16)), s.column_blob(17)};
    m.failures = std::move(f);
  }
  m.cause_step = s.column_is_null(18) ? 0 : s.column_int(18);
  return m;
}

// inbox_message() and then dead_step, dead_at, cause.
inline DeadLetter dead_letter(const sqlite::Statement& s) {
  DeadLetter d;
  d.message = inbox_message(s);
  d.step = s.column_int(kInboxColumnCount);
  d.at_ms = s.column_int(kInboxColumnCount + 1);
  d.cause = s.column_text(kInboxColumnCount + 2);
  return d;
}

// The timer columns every reader selects, in the order timer() reads.
inline constexpr const char* kTimerColumns =
    "id,due,ns,type,target_id,sender_ns,sender_type,sender_id,typename,has_value,value,token,"
    "cause_step";

inline TimerRecord timer(const sqlite::Statement& s) {
  TimerRecord t;
  t.id = s.column_int(0);
  t.due_ms = s.column_int(1);
  t.target = address(s, 2);
  t.sender = address(s, 5);
  t.argument = {s.column_text(8), s.column_int(9) != 0, s.column_blob(10)};
  t.token = s.column_text(11);
  t.cause_step = s.column_is_null(12) ? 0 : s.column_int(12);
  return t;
}

}  // namespace statefun::sqlite_rows
