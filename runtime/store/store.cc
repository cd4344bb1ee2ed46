#include "runtime/store/store.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <iterator>

#include "runtime/store/sqlite.h"
#include "runtime/store/sqlite_rows.h"
#include "runtime/store/wal_checkpointer.h"

namespace statefun {
namespace {

// Schema version 1, as statefun first wrote it. A new database is created
// at version 1 and then upgraded like an old one, so every database takes
// the same path to the current schema. Addresses are stored as three
// columns so that listing the ids of one function type is an index range
// scan.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE IF NOT EXISTS inbox (
  seq INTEGER PRIMARY KEY,
  ns TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL,
  caller_ns TEXT, caller_type TEXT, caller_id TEXT,
  typename TEXT NOT NULL, has_value INTEGER NOT NULL, value BLOB NOT NULL,
  source INTEGER NOT NULL, accepted_at INTEGER NOT NULL,
  consumed_step INTEGER
);
CREATE INDEX IF NOT EXISTS inbox_pending ON inbox(seq) WHERE consumed_step IS NULL;
CREATE INDEX IF NOT EXISTS inbox_by_address ON inbox(ns, type, id, seq);
CREATE TABLE IF NOT EXISTS state (
  ns TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL,
  typename TEXT NOT NULL, value BLOB NOT NULL, expires_at INTEGER, version INTEGER NOT NULL,
  PRIMARY KEY (ns, type, id, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS history (
  ns TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL,
  version INTEGER NOT NULL, typename TEXT, value BLOB,
  step INTEGER NOT NULL, at INTEGER NOT NULL, cause_type TEXT, cause_caller TEXT,
  PRIMARY KEY (ns, type, id, version, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS timers (
  id INTEGER PRIMARY KEY, due INTEGER NOT NULL,
  ns TEXT NOT NULL, type TEXT NOT NULL, target_id TEXT NOT NULL,
  sender_ns TEXT NOT NULL, sender_type TEXT NOT NULL, sender_id TEXT NOT NULL,
  typename TEXT NOT NULL, has_value INTEGER NOT NULL, value BLOB NOT NULL, token TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS egress (
  seq INTEGER PRIMARY KEY, egress_id TEXT NOT NULL, topic TEXT NOT NULL,
  payload BLOB NOT NULL, typename TEXT NOT NULL, value BLOB NOT NULL,
  step INTEGER NOT NULL, at INTEGER NOT NULL, consumed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS egress_unconsumed ON egress(topic, seq) WHERE consumed = 0;
CREATE TABLE IF NOT EXISTS history_floor (
  ns TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,
  PRIMARY KEY (ns, type, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS trace (
  step INTEGER PRIMARY KEY, at INTEGER NOT NULL,
  ns TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL,
  invocations INTEGER NOT NULL, first_type TEXT NOT NULL, duration_us INTEGER NOT NULL,
  changed TEXT NOT NULL, messages INTEGER NOT NULL, delayed INTEGER NOT NULL, egress INTEGER NOT NULL
);
)sql";

// How a database of version `from` becomes version `from + 1`. Steps run in
// order, all in the one transaction that opens the database, so an upgrade
// that fails halfway leaves the file as it was. To change the schema,
// append a step and raise kStoreSchemaVersion (store.h); never edit a step
// that has shipped.
struct SchemaUpgrade {
  int from;
  const char* sql;
};
constexpr SchemaUpgrade kUpgrades[] = {
    // 1 -> 2: pending messages remember their failed attempts; dead letters;
    // trace rows say what an admin edit did.
    {1, R"sql(
ALTER TABLE inbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inbox ADD COLUMN first_failed_at INTEGER;
ALTER TABLE inbox ADD COLUMN last_failed_at INTEGER;
ALTER TABLE inbox ADD COLUMN failure_reason TEXT;
ALTER TABLE inbox ADD COLUMN failure_status INTEGER;
ALTER TABLE inbox ADD COLUMN failure_body BLOB;
ALTER TABLE inbox ADD COLUMN dead INTEGER NOT NULL DEFAULT 0;
CREATE TABLE dead_letters (
  seq INTEGER PRIMARY KEY,
  ns TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL,
  caller_ns TEXT, caller_type TEXT, caller_id TEXT,
  typename TEXT NOT NULL, has_value INTEGER NOT NULL, value BLOB NOT NULL,
  source INTEGER NOT NULL, accepted_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL, first_failed_at INTEGER, last_failed_at INTEGER,
  failure_reason TEXT, failure_status INTEGER, failure_body BLOB,
  dead_step INTEGER NOT NULL, dead_at INTEGER NOT NULL, cause TEXT NOT NULL
);
ALTER TABLE trace ADD COLUMN note TEXT NOT NULL DEFAULT '';
)sql"},
    // 2 -> 3: causality. A message remembers the step that sent it, and so
    // does a pending delayed message and a dead letter; steps are found from
    // what they consumed and produced, and egress by its step (the leaves of
    // a causal tree).
    {2, R"sql(
ALTER TABLE inbox ADD COLUMN cause_step INTEGER;
ALTER TABLE timers ADD COLUMN cause_step INTEGER;
ALTER TABLE dead_letters ADD COLUMN cause_step INTEGER;
CREATE INDEX IF NOT EXISTS inbox_by_cause ON inbox(cause_step) WHERE cause_step IS NOT NULL;
CREATE INDEX IF NOT EXISTS inbox_by_step ON inbox(consumed_step) WHERE consumed_step IS NOT NULL;
CREATE INDEX IF NOT EXISTS egress_by_step ON egress(step);
)sql"},
    // 3 -> 4: retention by size. Marks of how far the log reached, and how
    // many bytes it had grown by, at moments in time (engine_restore.cc).
    {3, R"sql(
CREATE TABLE retention_marks (
  id INTEGER PRIMARY KEY, at INTEGER NOT NULL, step INTEGER NOT NULL,
  inbox_seq INTEGER NOT NULL, egress_seq INTEGER NOT NULL, bytes INTEGER NOT NULL
);
)sql"},
    // 4 -> 5: emulated Kafka topics and Kinesis streams. Each produced record
    // with its offset in the topic and the inbox messages it became
    // (emulator/topics/). A NULL key: the record had none.
    {4, R"sql(
CREATE TABLE topic_records (
  seq INTEGER PRIMARY KEY, topic TEXT NOT NULL, topic_offset INTEGER NOT NULL,
  key BLOB, value BLOB NOT NULL, at INTEGER NOT NULL,
  first_message INTEGER NOT NULL, messages INTEGER NOT NULL
);
CREATE UNIQUE INDEX topic_records_by_offset ON topic_records(topic, topic_offset);
)sql"},
    // 5 -> 6: Kafka connect mode. The consumed offsets of Kafka ingresses
    // commit with the inbox rows they produced (exactly once from the broker
    // to state), and each Kafka egress remembers how far it has produced.
    {5, R"sql(
CREATE TABLE external_offsets (
  kind TEXT NOT NULL, name TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL,
  next_offset INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (kind, name, topic, partition)
) WITHOUT ROWID;
)sql"},
};
static_assert(std::size(kUpgrades) == kStoreSchemaVersion - 1,
              "one upgrade step per schema version after the first");

enum Stmt : std::size_t {
  kBegin,
  kCommit,
  kSavepoint,
  kRelease,
  kRollbackTo,
  kInsertInbox,
  kMarkConsumed,
  kLoadPending,
  kReadReceived,
  kReadStates,
  kUpsertState,
  kDeleteState,
  kStateVersion,
  kInsertHistory,
  kSetExpiry,
  kReadHistory,
  kInsertTimer,
  kDeleteTimer,
  kLoadTimers,
  kInsertEgress,
  kPeekEgress,
  kConsumeEgress,
  kInsertTrace,
  kLastStep,
  kFoldHistory,
  kSetFloor,
  kReadFloor,
  kPruneTrace,
  kPruneInbox,
  kPruneEgress,
  kSetPrunedStep,
  kPrunedStep,
  kLastSequences,
  kSetVirtualNow,
  kClearVirtualNow,
  kVirtualNow,
  kRaiseMark,
  kRecordFailure,
  kInsertDeadLetter,
  kMarkDead,
  kReadDeadLetter,
  kDeleteDeadLetter,
  kMeasureRows,
  kInsertMark,
  kLoadMarks,
  kDropMarks,
  kNextTopicOffset,
  kInsertTopicRecord,
  kWriteExternalOffset,
  kLoadExternalOffsets,
  kStmtCount
};

// "?,?,...,?" with `count` parameters.
std::string placeholders(int count) {
  std::string out;
  for (int i = 0; i < count; ++i) out += i ? ",?" : "?";
  return out;
}

// Every statement the store runs, prepared once when it opens.
const std::array<std::string, kStmtCount>& statements_sql() {
  using sqlite_rows::kInboxColumns;
  using sqlite_rows::kTimerColumns;
  static const std::array<std::string, kStmtCount> sql = {
      "BEGIN IMMEDIATE",
      "COMMIT",
      "SAVEPOINT edit",
      "RELEASE edit",
      "ROLLBACK TO edit",
      "INSERT INTO inbox(ns,type,id,caller_ns,caller_type,caller_id,typename,has_value,value,"
      "source,accepted_at,cause_step) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
      "UPDATE inbox SET consumed_step=? WHERE seq=?",
      fmt::format("SELECT {} FROM inbox WHERE consumed_step IS NULL ORDER BY seq", kInboxColumns),
      fmt::format(
          "SELECT {} FROM inbox WHERE ns=? AND type=? AND id=? AND consumed_step>? AND dead=0 "
          "ORDER BY seq",
          kInboxColumns),
      "SELECT name,typename,value,expires_at,version FROM state WHERE ns=? AND type=? AND id=?",
      "INSERT INTO state(ns,type,id,name,typename,value,expires_at,version) "
      "VALUES(?,?,?,?,?,?,?,?) "
      "ON CONFLICT(ns,type,id,name) DO UPDATE SET typename=excluded.typename,value=excluded.value,"
      "expires_at=excluded.expires_at,version=excluded.version",
      "DELETE FROM state WHERE ns=? AND type=? AND id=? AND name=?",
      "SELECT version, step FROM history WHERE ns=? AND type=? AND id=? ORDER BY version DESC "
      "LIMIT 1",
      "INSERT INTO history(ns,type,id,name,version,typename,value,step,at,cause_type,cause_caller) "
      "VALUES(?,?,?,?,?,?,?,?,?,?,?)",
      "UPDATE state SET expires_at=? WHERE ns=? AND type=? AND id=? AND name=?",
      "SELECT version,name,typename,value,step,at,cause_type,cause_caller FROM history "
      "WHERE ns=? AND type=? AND id=? ORDER BY version,name",
      // The id comes after every id ever used (a fired timer's id is not reused).
      fmt::format(
          "INSERT INTO timers(id,due,ns,type,target_id,sender_ns,sender_type,sender_id,"
          "typename,has_value,value,token,cause_step) VALUES(({})+1,?,?,?,?,?,?,?,?,?,?,?,?)",
          sqlite_rows::kLastTimerIdSql),
      "DELETE FROM timers WHERE id=?",
      fmt::format("SELECT {} FROM timers ORDER BY due,id", kTimerColumns),
      "INSERT INTO egress(egress_id,topic,payload,typename,value,step,at) VALUES(?,?,?,?,?,?,?)",
      "SELECT seq,egress_id,payload,typename,value,step,at FROM egress WHERE topic=? AND "
      "consumed=0 AND seq>? AND seq<=? ORDER BY seq LIMIT 1",
      "UPDATE egress SET consumed=1 WHERE seq=?",
      "INSERT INTO trace(step,at,ns,type,id,invocations,first_type,duration_us,changed,messages,"
      "delayed,egress,note) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
      sqlite_rows::kLastStepSql,
      // Drop versions that left the window, except each state's last value
      // before it (the window's baseline).
      "DELETE FROM history AS h WHERE ns=?1 AND type=?2 AND id=?3 AND version<=?4 AND EXISTS "
      "(SELECT 1 FROM history n WHERE n.ns=?1 AND n.type=?2 AND n.id=?3 AND n.name=h.name AND "
      "n.version>h.version AND n.version<=?4)",
      "INSERT INTO history_floor(ns,type,id,version) VALUES(?,?,?,?) ON CONFLICT(ns,type,id) DO "
      "UPDATE SET version=max(version,excluded.version)",
      "SELECT coalesce((SELECT version FROM history_floor WHERE ns=? AND type=? AND id=?),0)",
      "DELETE FROM trace WHERE step IN (SELECT step FROM trace WHERE step<=? ORDER BY step LIMIT "
      "?)",
      "DELETE FROM inbox WHERE seq IN (SELECT seq FROM inbox WHERE seq<=? AND consumed_step IS NOT "
      "NULL ORDER BY seq LIMIT ?)",
      // Never what a Kafka egress in connect mode has yet to produce: its
      // 'kafka-egress' mark (emulator/kafka/kafka_egress.h) holds the first
      // seq not produced, and nothing from there on is pruned.
      "DELETE FROM egress WHERE seq IN (SELECT seq FROM egress e WHERE seq<=? AND (consumed=1 OR "
      "topic='' OR egress_id<>'io.statefun.playground/egress') AND NOT EXISTS (SELECT 1 FROM "
      "external_offsets o WHERE o.kind='kafka-egress' AND o.name=e.egress_id AND "
      "e.seq>=o.next_offset) ORDER BY seq LIMIT ?)",
      "INSERT INTO meta(key,value) VALUES('pruned_through_step',?) ON CONFLICT(key) DO UPDATE SET "
      "value=max(value,excluded.value)",
      "SELECT coalesce((SELECT value FROM meta WHERE key='pruned_through_step'),0)",
      "SELECT coalesce((SELECT max(seq) FROM inbox),0), coalesce((SELECT max(seq) FROM egress),0)",
      "INSERT INTO meta(key,value) VALUES('virtual_now_ms',?) ON CONFLICT(key) DO UPDATE SET "
      "value=excluded.value",
      "DELETE FROM meta WHERE key='virtual_now_ms'",
      "SELECT value FROM meta WHERE key='virtual_now_ms'",
      sqlite_rows::kRaiseMarkSql,
      "UPDATE inbox SET attempts=?,first_failed_at=?,last_failed_at=?,failure_reason=?,"
      "failure_status=?,failure_body=? WHERE seq=?",
      fmt::format("INSERT INTO dead_letters({},dead_step,dead_at,cause) VALUES({})", kInboxColumns,
                  placeholders(sqlite_rows::kInboxColumnCount + 3)),
      "UPDATE inbox SET consumed_step=?,dead=1 WHERE seq=?",
      fmt::format("SELECT {},dead_step,dead_at,cause FROM dead_letters WHERE seq=?", kInboxColumns),
      "DELETE FROM dead_letters WHERE seq=?",
      // Retention's size measure (kept in step with MemoryStore::measure_rows).
      "SELECT (SELECT coalesce(sum(length(ns)+length(type)+length(id)+length(first_type)+"
      "length(changed)+48),0) FROM trace WHERE step>?1 AND step<=?2) + "
      "(SELECT coalesce(sum(length(ns)+length(type)+length(id)+coalesce(length(caller_ns)+"
      "length(caller_type)+length(caller_id),0)+length(typename)+length(value)+32),0) FROM inbox "
      "WHERE seq>?3 AND seq<=?4) + "
      "(SELECT coalesce(sum(length(egress_id)+length(topic)+length(payload)+length(typename)+"
      "length(value)+40),0) FROM egress WHERE seq>?5 AND seq<=?6)",
      "INSERT INTO retention_marks(at,step,inbox_seq,egress_seq,bytes) VALUES(?,?,?,?,?)",
      "SELECT id,at,step,inbox_seq,egress_seq,bytes FROM retention_marks ORDER BY id",
      "DELETE FROM retention_marks WHERE id<?",
      "SELECT coalesce(max(topic_offset)+1,0) FROM topic_records WHERE topic=?",
      "INSERT INTO topic_records(topic,topic_offset,key,value,at,first_message,messages) "
      "VALUES(?,?,?,?,?,?,?)",
      "INSERT INTO external_offsets(kind,name,topic,partition,next_offset,updated_at) "
      "VALUES(?,?,?,?,?,?) ON CONFLICT(kind,name,topic,partition) DO UPDATE SET "
      "next_offset=excluded.next_offset,updated_at=excluded.updated_at",
      "SELECT kind,name,topic,partition,next_offset,updated_at FROM external_offsets "
      "ORDER BY kind,name,topic,partition",
  };
  return sql;
}

class SqliteStore final : public Store {
 public:
  SqliteStore(sqlite::Connection db, RetentionPolicy retention)
      : m_db(std::move(db)), m_retention(retention) {}
  ~SqliteStore() override {
    if (m_in_transaction) (void)m_db.exec("ROLLBACK");
    m_checkpointer.reset();  // its connection closes before ours
    m_stmts.clear();         // statements are finalized before the connection closes
  }

  // `creating`: the file is new, made by Store::open under a temporary
  // name. Any other file must already be a statefun database.
  Result<void> init(const StoreOptions& options, bool creating) {
    auto version = check_schema_version();
    if (!version) return std::unexpected(version.error());
    if (*version == 0 && !creating) return refuse_foreign();
    const std::string pragmas =
        fmt::format("PRAGMA journal_mode=WAL; PRAGMA synchronous={}; PRAGMA foreign_keys=OFF;",
                    options.synchronous_full ? "FULL" : "NORMAL");
    if (auto r = m_db.exec(pragmas); !r) return r;
    // One immediate transaction: a fresh database is created with one commit,
    // not one per statement (which cost ~20 ms of start-up); an existing one
    // at this version needs no write at all.
    if (*version != kStoreSchemaVersion) {
      auto transaction = sqlite::Transaction::begin(m_db);
      if (!transaction) return std::unexpected(transaction.error());
      if (*version == 0) {
        if (auto r = m_db.exec(kSchemaV1); !r) return r;
      }
      for (const auto& upgrade : kUpgrades) {
        if (upgrade.from < std::max(*version, 1)) continue;
        if (auto r = m_db.exec(upgrade.sql); !r) {
          return make_error(r.error().code,
                            fmt::format("upgrading the state database from schema {}: {}",
                                        upgrade.from, r.error().message));
        }
      }
      if (auto r = m_db.exec(fmt::format("PRAGMA user_version={};", kStoreSchemaVersion)); !r) {
        return r;
      }
      if (auto r = transaction->commit(); !r) return r;
    }
    // The page cache grows on demand up to this (negative: KiB); SQLite's
    // 2 MB default re-read hot pages from disk once the history outgrew it.
    if (auto r = m_db.exec("PRAGMA cache_size=-16384"); !r) return r;
    auto wal = is_wal();
    if (!wal) return std::unexpected(wal.error());
    if (*wal) {
      m_checkpointer = WalCheckpointer::attach(m_db.raw(), m_db.path(), options.synchronous_full);
    }
    m_stmts.reserve(kStmtCount);
    for (const auto& sql : statements_sql()) {
      auto statement = m_db.prepare(sql, /*persistent=*/true);
      if (!statement) return std::unexpected(statement.error());
      m_stmts.push_back(std::move(*statement));
    }
    return {};
  }

  Result<void> begin() override {
    if (m_in_transaction) return {};
    if (auto r = run(kBegin); !r) return r;
    m_in_transaction = true;
    return {};
  }

  Result<void> commit() override {
    if (!m_in_transaction) return {};
    if (auto r = run(kCommit); !r) return r;
    m_in_transaction = false;
    return {};
  }

  bool in_transaction() const override { return m_in_transaction; }

  Result<void> rollback() override {
    m_in_transaction = false;
    // After some failures (SQLITE_FULL among them) SQLite has already rolled
    // back, and a ROLLBACK would only fail saying so.
    if (sqlite3_get_autocommit(m_db.raw())) return {};
    return m_db.exec("ROLLBACK");
  }

  Result<void> savepoint() override { return run(kSavepoint); }
  Result<void> release_savepoint() override { return run(kRelease); }
  Result<void> rollback_savepoint() override {
    if (auto r = run(kRollbackTo); !r) return r;
    return run(kRelease);  // ROLLBACK TO keeps the savepoint open
  }

  Result<void> append_inbox(InboxMessage& m) override {
    sqlite::Reset s(m_stmts[kInsertInbox]);
    bind(*s, m.target);
    bind(*s, m.caller).text(m.argument.type_name);
    s->integer(m.argument.has_value).blob(m.argument.value);
    s->integer(static_cast<int>(m.source)).integer(m.accepted_at_ms);
    m.cause_step > 0 ? s->integer(m.cause_step) : s->null();
    if (auto r = s->run("appending to the inbox"); !r) return r;
    m.seq = m_db.last_insert_rowid();
    return {};
  }

  Result<void> mark_consumed(int64_t seq, int64_t step) override {
    sqlite::Reset s(m_stmts[kMarkConsumed]);
    s->integer(step).integer(seq);
    return s->run("consuming an inbox message");
  }

  Result<std::vector<InboxMessage>> load_pending() override {
    sqlite::Reset s(m_stmts[kLoadPending]);
    return read_messages(*s, "loading the inbox");
  }

  Result<std::vector<InboxMessage>> read_received(const Address& address,
                                                  int64_t after_step) override {
    sqlite::Reset s(m_stmts[kReadReceived]);
    bind(*s, address).integer(after_step);
    return read_messages(*s, "reading received messages");
  }

  Result<std::vector<StoredState>> read_states(const Address& address) override {
    std::vector<StoredState> out;
    sqlite::Reset s(m_stmts[kReadStates]);
    bind(*s, address);
    for (;;) {
      auto row = s->step("reading state");
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      StoredState state{s->column_text(0), s->column_text(1), s->column_blob(2), std::nullopt,
                        s->column_int(4)};
      if (!s->column_is_null(3)) state.expires_at_ms = s->column_int(3);
      out.push_back(std::move(state));
    }
    return out;
  }

  Result<void> write_state(const Address& address, const std::string& name, const TypedValue& value,
                           std::optional<int64_t> expires_at_ms, const StateCause& cause) override {
    auto version = version_for(address, cause.step);
    if (!version) return std::unexpected(version.error());
    {
      sqlite::Reset s(m_stmts[kUpsertState]);
      bind(*s, address).text(name).text(value.type_name).blob(value.value);
      expires_at_ms ? s->integer(*expires_at_ms) : s->null();
      s->integer(*version);
      if (auto r = s->run("writing state"); !r) return r;
    }
    return append_history(address, name, *version, &value, cause);
  }

  Result<void> delete_state(const Address& address, const std::string& name,
                            const StateCause& cause) override {
    {
      sqlite::Reset s(m_stmts[kDeleteState]);
      bind(*s, address).text(name);
      if (auto r = s->run("deleting state"); !r) return r;
    }
    if (m_db.changes() == 0) return {};  // deleting nothing is not a version
    auto version = version_for(address, cause.step);
    if (!version) return std::unexpected(version.error());
    return append_history(address, name, *version, nullptr, cause);
  }

  Result<void> set_expiry(const Address& address, const std::string& name,
                          int64_t expires_at_ms) override {
    sqlite::Reset s(m_stmts[kSetExpiry]);
    s->integer(expires_at_ms);
    bind(*s, address).text(name);
    return s->run("refreshing a state's expiry");
  }

  Result<std::vector<HistoryRow>> read_history(const Address& address) override {
    std::vector<HistoryRow> out;
    sqlite::Reset s(m_stmts[kReadHistory]);
    bind(*s, address);
    for (;;) {
      auto row = s->step("reading state history");
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      out.push_back(sqlite_rows::history(*s));
    }
    return out;
  }

  Result<void> drop_expired(const Address& address, const std::string& name) override {
    sqlite::Reset s(m_stmts[kDeleteState]);
    bind(*s, address).text(name);
    return s->run("dropping an expired state");
  }

  Result<void> add_timer(TimerRecord& t) override {
    sqlite::Reset s(m_stmts[kInsertTimer]);
    s->integer(t.due_ms);
    bind(*s, t.target);
    bind(*s, t.sender).text(t.argument.type_name);
    s->integer(t.argument.has_value).blob(t.argument.value).text(t.token);
    t.cause_step > 0 ? s->integer(t.cause_step) : s->null();
    if (auto r = s->run("adding a timer"); !r) return r;
    t.id = m_db.last_insert_rowid();
    return raise_mark("timer_high_water", t.id);
  }

  Result<void> remove_timer(int64_t id) override {
    sqlite::Reset s(m_stmts[kDeleteTimer]);
    s->integer(id);
    return s->run("removing a timer");
  }

  Result<std::vector<TimerRecord>> load_timers() override {
    std::vector<TimerRecord> out;
    sqlite::Reset s(m_stmts[kLoadTimers]);
    for (;;) {
      auto row = s->step("loading timers");
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      out.push_back(sqlite_rows::timer(*s));
    }
    return out;
  }

  Result<void> append_egress(EgressRecord& r) override {
    sqlite::Reset s(m_stmts[kInsertEgress]);
    s->text(r.egress_id).text(r.topic).blob(r.payload).text(r.argument.type_name);
    s->blob(r.argument.value).integer(r.step).integer(r.at_ms);
    if (auto done = s->run("appending an egress record"); !done) return done;
    r.seq = m_db.last_insert_rowid();
    return {};
  }

  Result<std::optional<EgressRecord>> peek_egress(const std::string& topic, int64_t after_seq,
                                                  int64_t max_seq) override {
    sqlite::Reset s(m_stmts[kPeekEgress]);
    s->text(topic).integer(after_seq).integer(max_seq);
    auto row = s->step("reading egress");
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<EgressRecord>();
    EgressRecord r;
    r.seq = s->column_int(0);
    r.egress_id = s->column_text(1);
    r.topic = topic;
    r.payload = s->column_blob(2);
    r.argument = {s->column_text(3), true, s->column_blob(4)};
    r.step = s->column_int(5);
    r.at_ms = s->column_int(6);
    return std::optional<EgressRecord>(std::move(r));
  }

  Result<void> consume_egress(int64_t seq) override {
    sqlite::Reset s(m_stmts[kConsumeEgress]);
    s->integer(seq);
    return s->run("consuming egress");
  }

  Result<void> append_topic_record(TopicRecordRow& row) override {
    {
      sqlite::Reset s(m_stmts[kNextTopicOffset]);
      s->text(row.topic);
      auto found = s->step("reading a topic's next offset");
      if (!found) return std::unexpected(found.error());
      row.offset = *found ? s->column_int(0) : 0;
    }
    sqlite::Reset s(m_stmts[kInsertTopicRecord]);
    s->text(row.topic).integer(row.offset);
    if (row.key) {
      s->blob(*row.key);
    } else {
      s->null();
    }
    s->blob(row.value).integer(row.at_ms).integer(row.first_message).integer(row.messages);
    if (auto done = s->run("appending a topic record"); !done) return done;
    row.seq = m_db.last_insert_rowid();
    return {};
  }

  Result<void> append_trace(const TraceRecord& t) override {
    std::string changed;
    for (const auto& name : t.changed_states) {
      if (!changed.empty()) changed += ',';
      changed += name;
    }
    sqlite::Reset s(m_stmts[kInsertTrace]);
    s->integer(t.step).integer(t.at_ms);
    bind(*s, t.address).integer(t.invocations);
    s->text(t.first_type).integer(t.duration_us).text(changed);
    s->integer(t.messages).integer(t.delayed).integer(t.egress).text(t.note);
    if (auto r = s->run("appending to the trace"); !r) return r;
    return raise_mark("step_high_water", t.step);
  }

  Result<void> record_failure(int64_t seq, const FailureRecord& f) override {
    sqlite::Reset s(m_stmts[kRecordFailure]);
    s->integer(f.attempts).integer(f.first_failed_at_ms).integer(f.last_failed_at_ms);
    s->text(f.last.reason).integer(f.last.http_status).blob(f.last.body_excerpt).integer(seq);
    return s->run("recording a failed delivery");
  }

  Result<void> dead_letter(const DeadLetter& letter) override {
    const InboxMessage& m = letter.message;
    static const FailureRecord kNoFailures;
    const FailureRecord& f = m.failures ? *m.failures : kNoFailures;
    {
      sqlite::Reset s(m_stmts[kInsertDeadLetter]);
      s->integer(m.seq);
      bind(*s, m.target);
      bind(*s, m.caller).text(m.argument.type_name);
      s->integer(m.argument.has_value).blob(m.argument.value);
      s->integer(static_cast<int>(m.source)).integer(m.accepted_at_ms);
      s->integer(f.attempts);
      f.attempts > 0 ? s->integer(f.first_failed_at_ms).integer(f.last_failed_at_ms)
                     : s->null().null();
      f.attempts > 0 ? s->text(f.last.reason).integer(f.last.http_status).blob(f.last.body_excerpt)
                     : s->null().null().null();
      m.cause_step > 0 ? s->integer(m.cause_step) : s->null();
      s->integer(letter.step).integer(letter.at_ms).text(letter.cause);
      if (auto r = s->run("adding a dead letter"); !r) return r;
    }
    sqlite::Reset s(m_stmts[kMarkDead]);
    s->integer(letter.step).integer(m.seq);
    return s->run("taking a message out of the inbox");
  }

  Result<std::optional<DeadLetter>> take_dead_letter(int64_t id) override {
    std::optional<DeadLetter> letter;
    {
      sqlite::Reset s(m_stmts[kReadDeadLetter]);
      s->integer(id);
      auto row = s->step("reading a dead letter");
      if (!row) return std::unexpected(row.error());
      if (!*row) return letter;
      letter = sqlite_rows::dead_letter(*s);
    }
    sqlite::Reset s(m_stmts[kDeleteDeadLetter]);
    s->integer(id);
    if (auto r = s->run("removing a dead letter"); !r) return std::unexpected(r.error());
    return letter;
  }

  Result<int64_t> prune(int64_t through_step, int64_t through_seq, int64_t through_egress_seq,
                        int64_t batch) override {
    int64_t deleted = 0;
    for (auto [stmt, limit] :
         {std::pair{kPruneTrace, through_step}, std::pair{kPruneInbox, through_seq},
          std::pair{kPruneEgress, through_egress_seq}}) {
      if (limit <= 0) continue;
      sqlite::Reset s(m_stmts[stmt]);
      s->integer(limit).integer(batch);
      if (auto r = s->run("pruning old records"); !r) return std::unexpected(r.error());
      deleted = std::max<int64_t>(deleted, m_db.changes());
    }
    if (through_step > 0) {
      sqlite::Reset s(m_stmts[kSetPrunedStep]);
      s->integer(through_step);
      if (auto r = s->run("recording the pruned step"); !r) return std::unexpected(r.error());
    }
    return deleted;
  }

  Result<int64_t> pruned_through_step() override {
    return single_integer(kPrunedStep, "reading the pruned step");
  }

  Result<std::pair<int64_t, int64_t>> last_sequences() override {
    sqlite::Reset s(m_stmts[kLastSequences]);
    auto row = s->step("reading the last sequences");
    if (!row) return std::unexpected(row.error());
    if (!*row) return no_row("reading the last sequences");
    return std::pair{s->column_int(0), s->column_int(1)};
  }

  Result<int64_t> last_step() override {
    return single_integer(kLastStep, "reading the last step");
  }

  Result<std::optional<int64_t>> virtual_now() override {
    sqlite::Reset s(m_stmts[kVirtualNow]);
    auto row = s->step("reading the virtual time");
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<int64_t>();
    return std::optional<int64_t>(s->column_int(0));
  }

  Result<void> set_virtual_now(std::optional<int64_t> ms) override {
    sqlite::Reset s(m_stmts[ms ? kSetVirtualNow : kClearVirtualNow]);
    if (ms) s->integer(*ms);
    return s->run("recording the virtual time");
  }

  Result<int64_t> measure_rows(const RetentionMark& from, const RetentionMark& to) override {
    sqlite::Reset s(m_stmts[kMeasureRows]);
    s->integer(from.step).integer(to.step).integer(from.inbox_seq).integer(to.inbox_seq);
    s->integer(from.egress_seq).integer(to.egress_seq);
    auto row = s->step("measuring retained records");
    if (!row) return std::unexpected(row.error());
    if (!*row) return no_row("measuring retained records");
    return s->column_int(0);
  }

  Result<void> add_retention_mark(RetentionMark& mark) override {
    sqlite::Reset s(m_stmts[kInsertMark]);
    s->integer(mark.at_ms).integer(mark.step).integer(mark.inbox_seq).integer(mark.egress_seq);
    s->integer(mark.bytes);
    if (auto done = s->run("recording a retention mark"); !done) return done;
    mark.id = m_db.last_insert_rowid();
    return {};
  }

  Result<std::vector<RetentionMark>> load_retention_marks() override {
    sqlite::Reset s(m_stmts[kLoadMarks]);
    std::vector<RetentionMark> marks;
    for (;;) {
      auto row = s->step("loading retention marks");
      if (!row) return std::unexpected(row.error());
      if (!*row) return marks;
      marks.push_back({s->column_int(0), s->column_int(1), s->column_int(2), s->column_int(3),
                       s->column_int(4), s->column_int(5)});
    }
  }

  Result<void> drop_retention_marks_before(int64_t id) override {
    sqlite::Reset s(m_stmts[kDropMarks]);
    s->integer(id);
    return s->run("dropping retention marks");
  }

  Result<void> write_external_offset(const ExternalOffset& o) override {
    sqlite::Reset s(m_stmts[kWriteExternalOffset]);
    s->text(o.kind).text(o.name).text(o.topic).integer(o.partition).integer(o.next_offset);
    s->integer(o.updated_at_ms);
    return s->run("recording an external offset");
  }

  Result<std::vector<ExternalOffset>> load_external_offsets() override {
    sqlite::Reset s(m_stmts[kLoadExternalOffsets]);
    std::vector<ExternalOffset> out;
    for (;;) {
      auto row = s->step("loading external offsets");
      if (!row) return std::unexpected(row.error());
      if (!*row) return out;
      out.push_back({s->column_text(0), s->column_text(1), s->column_text(2),
                     static_cast<int32_t>(s->column_int(3)), s->column_int(4), s->column_int(5)});
    }
  }

  Result<int64_t> history_floor(const Address& address) override {
    sqlite::Reset s(m_stmts[kReadFloor]);
    bind(*s, address);
    auto row = s->step("reading the history floor");
    if (!row) return std::unexpected(row.error());
    if (!*row) return no_row("reading the history floor");
    return s->column_int(0);
  }

 private:
  static sqlite::Statement& bind(sqlite::Statement& s, const Address& a) {
    return sqlite_rows::bind(s, a);
  }
  static sqlite::Statement& bind(sqlite::Statement& s, const std::optional<Address>& a) {
    return sqlite_rows::bind(s, a);
  }

  Result<std::vector<InboxMessage>> read_messages(sqlite::Statement& s, std::string_view what) {
    std::vector<InboxMessage> out;
    for (;;) {
      auto row = s.step(what);
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      out.push_back(sqlite_rows::inbox_message(s));
    }
    return out;
  }

  // Versions count the steps that changed an entity: every state a step
  // changes shares the step's version.
  Result<int64_t> version_for(const Address& address, int64_t step) {
    sqlite::Reset s(m_stmts[kStateVersion]);
    bind(*s, address);
    auto row = s->step("reading an entity version");
    if (!row) return std::unexpected(row.error());
    if (!*row) return int64_t{1};
    const int64_t last = s->column_int(0);
    return s->column_int(1) == step ? last : last + 1;
  }

  Result<void> fold_history(const Address& address, int64_t version) {
    const int64_t keep = m_retention.history_versions;
    if (keep <= 0 || version <= keep) return {};
    const int64_t floor = version - keep;
    {
      sqlite::Reset s(m_stmts[kFoldHistory]);
      bind(*s, address).integer(floor);
      if (auto r = s->run("folding old history"); !r) return r;
      if (m_db.changes() == 0) return {};
    }
    sqlite::Reset s(m_stmts[kSetFloor]);
    bind(*s, address).integer(floor);
    return s->run("recording the history floor");
  }

  Result<void> append_history(const Address& address, const std::string& name, int64_t version,
                              const TypedValue* value, const StateCause& cause) {
    const std::string caller = cause.caller ? cause.caller->str() : std::string();
    {
      sqlite::Reset s(m_stmts[kInsertHistory]);
      bind(*s, address).text(name).integer(version);
      value ? s->text(value->type_name).blob(value->value) : s->null().null();
      s->integer(cause.step).integer(cause.at_ms).text(cause.message_type);
      cause.caller ? s->text(caller) : s->null();
      if (auto r = s->run("appending state history"); !r) return r;
    }
    return fold_history(address, version);
  }

  // A statement that always returns one row of one integer.
  Result<void> raise_mark(const std::string& key, int64_t value) {
    sqlite::Reset s(m_stmts[kRaiseMark]);
    s->text(key).integer(value);
    return s->run("raising a high-water mark");
  }

  Result<int64_t> single_integer(Stmt which, std::string_view what) {
    sqlite::Reset s(m_stmts[which]);
    auto row = s->step(what);
    if (!row) return std::unexpected(row.error());
    if (!*row) return no_row(what);
    return s->column_int(0);
  }

  std::unexpected<Error> no_row(std::string_view what) const {
    return make_error(ErrorCode::kIo, fmt::format("{}: {}: no result", m_db.path(), what));
  }

  // In-memory databases (tests) have no write-ahead log to checkpoint.
  Result<bool> is_wal() {
    auto s = m_db.prepare("PRAGMA journal_mode");
    if (!s) return std::unexpected(s.error());
    auto row = s->step("reading the journal mode");
    if (!row) return std::unexpected(row.error());
    return *row && s->column_text(0) == "wal";
  }

  // The database's schema version (0 for a new file); refuses newer ones.
  Result<int> check_schema_version() {
    auto version = m_db.scalar("PRAGMA user_version", "reading the schema version");
    if (!version) {
      Error error = version.error();
      error.code = ErrorCode::kCorruption;  // not even a SQLite database of ours
      return std::unexpected(std::move(error));
    }
    if (*version > kStoreSchemaVersion) {
      return make_error(ErrorCode::kFailedPrecondition,
                        fmt::format("{}: written by a newer statefun (schema {}, this build "
                                    "understands up to {})",
                                    m_db.path(), *version, kStoreSchemaVersion));
    }
    return static_cast<int>(*version);
  }

  // A SQLite file without our schema version is someone else's database
  // (or an empty one): adopting it would mix our tables into it.
  std::unexpected<Error> refuse_foreign() {
    std::string tables;
    auto q = m_db.prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name");
    if (q) {
      (void)q->for_each_row("listing tables", [&](const sqlite::Statement& row) {
        tables += (tables.empty() ? "" : ", ") + row.column_text(0);
      });
    }
    return make_error(
        ErrorCode::kCorruption,
        fmt::format("{}: a SQLite database, but not a statefun one ({}); move it away or use "
                    "another --data directory",
                    m_db.path(), tables.empty() ? "no tables" : "tables: " + tables));
  }

  Result<void> run(Stmt which) {
    sqlite::Reset s(m_stmts[which]);
    return s->run(statements_sql()[which]);
  }

  sqlite::Connection m_db;
  RetentionPolicy m_retention;
  std::vector<sqlite::Statement> m_stmts;  // by Stmt
  bool m_in_transaction = false;
  std::unique_ptr<WalCheckpointer> m_checkpointer;  // null: SQLite checkpoints inline
};

}  // namespace

std::string database_path(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "statefun.db").string();
}

namespace {

Result<std::unique_ptr<SqliteStore>> open_sqlite(const std::string& path,
                                                 const StoreOptions& options, bool creating) {
  auto db = sqlite::Connection::open(path, {});
  if (!db) return std::unexpected(db.error());
  auto store = std::make_unique<SqliteStore>(std::move(*db), options.retention);
  if (auto r = store->init(options, creating); !r) return std::unexpected(r.error());
  return store;
}

// A new database is made whole under a temporary name and renamed into
// place, so `path` is never a zero-byte file of ours (a kill between
// SQLite creating the file and writing the schema would leave one), and a
// zero-byte file at `path` is never ours to adopt.
Result<void> create_database(const std::string& path, const StoreOptions& options) {
  namespace fs = std::filesystem;
  const std::string fresh = path + ".new";
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(fresh + suffix, ec);
  {
    auto store = open_sqlite(fresh, options, /*creating=*/true);
    if (!store) return std::unexpected(store.error());
  }  // closed: the WAL is checkpointed into the file and removed
  fs::rename(fresh, path, ec);
  if (ec) return make_error(ErrorCode::kIo, fmt::format("{}: {}", path, ec.message()));
  return {};
}

}  // namespace

Result<std::unique_ptr<Store>> Store::open(const std::string& path, const StoreOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const bool in_memory = path.empty() || path == ":memory:" || path.starts_with("file:");
  if (!in_memory) {
    const auto status = fs::status(path, ec);
    if (status.type() == fs::file_type::not_found) {
      if (auto r = create_database(path, options); !r) return std::unexpected(r.error());
    } else if (status.type() == fs::file_type::regular && fs::file_size(path, ec) == 0 && !ec &&
               !(fs::exists(path + "-wal", ec) && fs::file_size(path + "-wal", ec) > 0)) {
      // (A zero-byte file beside a WAL may be a database whose first
      // commits were never checkpointed: SQLite recovers it from the WAL.)
      return make_error(ErrorCode::kCorruption,
                        fmt::format("{}: an empty file (0 bytes), not a statefun database; delete "
                                    "it to start with a new one",
                                    path));
    }
  }
  auto store = open_sqlite(path, options, /*creating=*/in_memory);
  if (!store) return std::unexpected(store.error());
  return std::unique_ptr<Store>(std::move(*store));
}

}  // namespace statefun
