#include "runtime/store/store.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <array>
#include <filesystem>

#include "runtime/store/sqlite_rows.h"
#include "runtime/store/wal_checkpointer.h"

namespace statefun {
namespace {

// Schema version 1. Addresses are stored as three columns so that listing
// the ids of one function type is an index range scan.
constexpr const char* kSchema = R"sql(
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
  kStmtCount
};

constexpr std::array<const char*, kStmtCount> kSql = {
    "BEGIN IMMEDIATE",
    "COMMIT",
    "SAVEPOINT edit",
    "RELEASE edit",
    "ROLLBACK TO edit",
    "INSERT INTO inbox(ns,type,id,caller_ns,caller_type,caller_id,typename,has_value,value,"
    "source,accepted_at) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
    "UPDATE inbox SET consumed_step=? WHERE seq=?",
    "SELECT seq,ns,type,id,caller_ns,caller_type,caller_id,typename,has_value,value,source,"
    "accepted_at FROM inbox WHERE consumed_step IS NULL ORDER BY seq",
    "SELECT seq,ns,type,id,caller_ns,caller_type,caller_id,typename,has_value,value,source,"
    "accepted_at FROM inbox WHERE ns=? AND type=? AND id=? AND consumed_step>? ORDER BY seq",
    "SELECT name,typename,value,expires_at,version FROM state WHERE ns=? AND type=? AND id=?",
    "INSERT INTO state(ns,type,id,name,typename,value,expires_at,version) VALUES(?,?,?,?,?,?,?,?) "
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
    "INSERT INTO timers(due,ns,type,target_id,sender_ns,sender_type,sender_id,typename,has_value,"
    "value,token) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
    "DELETE FROM timers WHERE id=?",
    "SELECT id,due,ns,type,target_id,sender_ns,sender_type,sender_id,typename,has_value,value,"
    "token FROM timers ORDER BY due,id",
    "INSERT INTO egress(egress_id,topic,payload,typename,value,step,at) VALUES(?,?,?,?,?,?,?)",
    "SELECT seq,egress_id,payload,typename,value,step,at FROM egress WHERE topic=? AND consumed=0 "
    "AND seq<=? ORDER BY seq LIMIT 1",
    "UPDATE egress SET consumed=1 WHERE seq=?",
    "INSERT INTO trace(step,at,ns,type,id,invocations,first_type,duration_us,changed,messages,"
    "delayed,egress) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
    "SELECT coalesce(max(step),0) FROM trace",
    // Drop versions that left the window, except each state's last value
    // before it (the window's baseline).
    "DELETE FROM history AS h WHERE ns=?1 AND type=?2 AND id=?3 AND version<=?4 AND EXISTS "
    "(SELECT 1 FROM history n WHERE n.ns=?1 AND n.type=?2 AND n.id=?3 AND n.name=h.name AND "
    "n.version>h.version AND n.version<=?4)",
    "INSERT INTO history_floor(ns,type,id,version) VALUES(?,?,?,?) ON CONFLICT(ns,type,id) DO "
    "UPDATE SET version=max(version,excluded.version)",
    "SELECT coalesce((SELECT version FROM history_floor WHERE ns=? AND type=? AND id=?),0)",
    "DELETE FROM trace WHERE step IN (SELECT step FROM trace WHERE step<=? ORDER BY step LIMIT ?)",
    "DELETE FROM inbox WHERE seq IN (SELECT seq FROM inbox WHERE seq<=? AND consumed_step IS NOT "
    "NULL ORDER BY seq LIMIT ?)",
    "DELETE FROM egress WHERE seq IN (SELECT seq FROM egress WHERE seq<=? AND (consumed=1 OR "
    "topic='' OR egress_id<>'io.statefun.playground/egress') ORDER BY seq LIMIT ?)",
    "INSERT INTO meta(key,value) VALUES('pruned_through_step',?) ON CONFLICT(key) DO UPDATE SET "
    "value=max(value,excluded.value)",
    "SELECT coalesce((SELECT value FROM meta WHERE key='pruned_through_step'),0)",
    "SELECT coalesce((SELECT max(seq) FROM inbox),0), coalesce((SELECT max(seq) FROM egress),0)",
};

// Binds positional parameters and steps a prepared statement. Keeps the
// reset/clear discipline in one place.
class Bound {
 public:
  explicit Bound(sqlite3_stmt* stmt) : m_stmt(stmt) {}
  ~Bound() {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
  }
  Bound(const Bound&) = delete;
  Bound& operator=(const Bound&) = delete;

  Bound& text(const std::string& value) {
    sqlite3_bind_text(m_stmt, ++m_index, value.data(), static_cast<int>(value.size()),
                      SQLITE_STATIC);
    return *this;
  }
  Bound& blob(const std::string& value) {
    sqlite3_bind_blob(m_stmt, ++m_index, value.data(), static_cast<int>(value.size()),
                      SQLITE_STATIC);
    return *this;
  }
  Bound& integer(int64_t value) {
    sqlite3_bind_int64(m_stmt, ++m_index, value);
    return *this;
  }
  Bound& null() {
    sqlite3_bind_null(m_stmt, ++m_index);
    return *this;
  }
  Bound& address(const Address& a) { return text(a.type.ns).text(a.type.name).text(a.id); }
  Bound& optional_address(const std::optional<Address>& a) {
    if (a) return address(*a);
    return null().null().null();
  }

  int step() { return sqlite3_step(m_stmt); }
  sqlite3_stmt* raw() const { return m_stmt; }

 private:
  sqlite3_stmt* m_stmt;
  int m_index = 0;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(sqlite3* db, std::string path, RetentionPolicy retention)
      : m_db(db), m_path(std::move(path)), m_retention(retention) {}
  ~SqliteStore() override {
    if (m_in_transaction) (void)exec("ROLLBACK");
    m_checkpointer.reset();  // its connection closes before ours
    for (auto* stmt : m_stmts) sqlite3_finalize(stmt);
    sqlite3_close(m_db);
  }

  Result<void> init(const StoreOptions& options) {
    auto version = check_schema_version();
    if (!version) return std::unexpected(version.error());
    const std::string pragmas =
        fmt::format("PRAGMA journal_mode=WAL; PRAGMA synchronous={}; PRAGMA foreign_keys=OFF;",
                    options.synchronous_full ? "FULL" : "NORMAL");
    if (auto r = exec(pragmas); !r) return r;
    // One immediate transaction: a fresh database is created with one commit,
    // not one per statement (which cost ~20 ms of start-up); an existing one
    // at this version needs no write at all.
    if (*version != kStoreSchemaVersion) {
      if (auto r = exec(fmt::format("BEGIN IMMEDIATE; {} PRAGMA user_version={}; COMMIT;", kSchema,
                                    kStoreSchemaVersion));
          !r) {
        return r;
      }
    }
    // The page cache grows on demand up to this (negative: KiB); SQLite's
    // 2 MB default re-read hot pages from disk once the history outgrew it.
    if (auto r = exec("PRAGMA cache_size=-16384"); !r) return r;
    if (is_wal()) m_checkpointer = WalCheckpointer::attach(m_db, m_path, options.synchronous_full);
    for (std::size_t i = 0; i < kStmtCount; ++i) {
      if (sqlite3_prepare_v3(m_db, kSql[i], -1, SQLITE_PREPARE_PERSISTENT, &m_stmts[i], nullptr) !=
          SQLITE_OK) {
        return fail(ErrorCode::kCorruption, "preparing statements");
      }
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

  Result<void> savepoint() override { return run(kSavepoint); }
  Result<void> release_savepoint() override { return run(kRelease); }
  Result<void> rollback_savepoint() override {
    if (auto r = run(kRollbackTo); !r) return r;
    return run(kRelease);  // ROLLBACK TO keeps the savepoint open
  }

  Result<void> append_inbox(InboxMessage& m) override {
    Bound b(m_stmts[kInsertInbox]);
    b.address(m.target).optional_address(m.caller).text(m.argument.type_name);
    b.integer(m.argument.has_value).blob(m.argument.value);
    b.integer(static_cast<int>(m.source)).integer(m.accepted_at_ms);
    if (b.step() != SQLITE_DONE) return fail(ErrorCode::kIo, "appending to the inbox");
    m.seq = sqlite3_last_insert_rowid(m_db);
    return {};
  }

  Result<void> mark_consumed(int64_t seq, int64_t step) override {
    Bound b(m_stmts[kMarkConsumed]);
    b.integer(step).integer(seq);
    if (b.step() != SQLITE_DONE) return fail(ErrorCode::kIo, "consuming an inbox message");
    return {};
  }

  Result<std::vector<InboxMessage>> load_pending() override {
    Bound b(m_stmts[kLoadPending]);
    return read_messages(b, "loading the inbox");
  }

  Result<std::vector<InboxMessage>> read_received(const Address& address,
                                                  int64_t after_step) override {
    Bound b(m_stmts[kReadReceived]);
    b.address(address).integer(after_step);
    return read_messages(b, "reading received messages");
  }

  Result<std::vector<InboxMessage>> read_messages(Bound& b, std::string_view what) {
    std::vector<InboxMessage> out;
    int rc;
    while ((rc = b.step()) == SQLITE_ROW) {
      auto* s = b.raw();
      InboxMessage m;
      m.seq = sqlite3_column_int64(s, 0);
      m.target = sqlite_rows::address(s, 1);
      if (sqlite3_column_type(s, 4) != SQLITE_NULL) m.caller = sqlite_rows::address(s, 4);
      m.argument = {sqlite_rows::text(s, 7), sqlite3_column_int(s, 8) != 0,
                    sqlite_rows::blob(s, 9)};
      m.source = static_cast<MessageSource>(sqlite3_column_int(s, 10));
      m.accepted_at_ms = sqlite3_column_int64(s, 11);
      out.push_back(std::move(m));
    }
    if (rc != SQLITE_DONE) return fail(ErrorCode::kIo, what);
    return out;
  }

  Result<std::vector<StoredState>> read_states(const Address& address) override {
    std::vector<StoredState> out;
    Bound b(m_stmts[kReadStates]);
    b.address(address);
    int rc;
    while ((rc = b.step()) == SQLITE_ROW) {
      auto* s = b.raw();
      StoredState state{sqlite_rows::text(s, 0), sqlite_rows::text(s, 1), sqlite_rows::blob(s, 2),
                        std::nullopt, sqlite3_column_int64(s, 4)};
      if (sqlite3_column_type(s, 3) != SQLITE_NULL)
        state.expires_at_ms = sqlite3_column_int64(s, 3);
      out.push_back(std::move(state));
    }
    if (rc != SQLITE_DONE) return fail(ErrorCode::kIo, "reading state");
    return out;
  }

  Result<void> write_state(const Address& address, const std::string& name, const TypedValue& value,
                           std::optional<int64_t> expires_at_ms, const StateCause& cause) override {
    auto version = version_for(address, cause.step);
    if (!version) return std::unexpected(version.error());
    {
      Bound b(m_stmts[kUpsertState]);
      b.address(address).text(name).text(value.type_name).blob(value.value);
      expires_at_ms ? b.integer(*expires_at_ms) : b.null();
      b.integer(*version);
      if (b.step() != SQLITE_DONE) return fail(ErrorCode::kIo, "writing state");
    }
    return append_history(address, name, *version, &value, cause);
  }

  Result<void> delete_state(const Address& address, const std::string& name,
                            const StateCause& cause) override {
    {
      Bound b(m_stmts[kDeleteState]);
      b.address(address).text(name);
      if (b.step() != SQLITE_DONE) return fail(ErrorCode::kIo, "deleting state");
    }
    if (sqlite3_changes(m_db) == 0) return {};  // deleting nothing is not a version
    auto version = version_for(address, cause.step);
    if (!version) return std::unexpected(version.error());
    return append_history(address, name, *version, nullptr, cause);
  }

  Result<void> set_expiry(const Address& address, const std::string& name,
                          int64_t expires_at_ms) override {
    Bound b(m_stmts[kSetExpiry]);
    b.integer(expires_at_ms).address(address).text(name);
    if (b.step() != SQLITE_DONE) return fail(ErrorCode::kIo, "refreshing a state's expiry");
    return {};
  }

  Result<std::vector<HistoryRow>> read_history(const Address& address) override {
    std::vector<HistoryRow> out;
    Bound b(m_stmts[kReadHistory]);
    b.address(address);
    int rc;
    while ((rc = b.step()) == SQLITE_ROW) {
      out.push_back(sqlite_rows::history(b.raw()));
    }
    if (rc != SQLITE_DONE) return fail(ErrorCode::kIo, "reading state history");
    return out;
  }

  Result<void> drop_expired(const Address& address, const std::string& name) override {
    Bound b(m_stmts[kDeleteState]);
    b.address(address).text(name);
    if (b.step() != SQLITE_DONE) return fail(ErrorCode::kIo, "dropping an expired state");
    return {};
  }

  Result<void> add_timer(TimerRecord& t) override {
    Bound b(m_stmts[kInsertTimer]);
    b.integer(t.due_ms).address(t.target).address(t.sender).text(t.argument.type_name);
    b.integer(t.argument.has_value).blob(t.argument.value).text(t.token);
    if (b.step() != SQLITE_DONE) return fail(ErrorCode::kIo, "adding a timer");
    t.id = sqlite3_last_insert_rowid(m_db);
    return {};
  }

  Result<void> remove_timer(int64_t id) override {
    Bound b(m_stmts[kDeleteTimer]);
    b.integer(id);
    if (b.step() != SQLITE_DONE) return fail(ErrorCode::kIo, "removing a timer");
    return {};
  }

  Result<std::vector<TimerRecord>> load_timers() override {
    std::vector<TimerRecord> out;
    Bound b(m_stmts[kLoadTimers]);
    int rc;
    while ((rc = b.step()) == SQLITE_ROW) {
      auto* s = b.raw();
      TimerRecord t;
      t.id = sqlite3_column_int64(s, 0);
      t.due_ms = sqlite3_column_int64(s, 1);
      t.target = sqlite_rows::address(s, 2);
      t.sender = sqlite_rows::address(s, 5);
      t.argument = {sqlite_rows::text(s, 8), sqlite3_column_int(s, 9) != 0,
                    sqlite_rows::blob(s, 10)};
      t.token = sqlite_rows::text(s, 11);
      out.push_back(std::move(t));
    }
    if (rc != SQLITE_DONE) return fail(ErrorCode::kIo, "loading timers");
    return out;
  }

  Result<void> append_egress(EgressRecord& r) override {
    Bound b(m_stmts[kInsertEgress]);
    b.text(r.egress_id).text(r.topic).blob(r.payload).text(r.argument.type_name);
    b.blob(r.argument.value).integer(r.step).integer(r.at_ms);
    if (b.step() != SQLITE_DONE) return fail(ErrorCode::kIo, "appending an egress record");
    r.seq = sqlite3_last_insert_rowid(m_db);
    return {};
  }

  Result<std::optional<EgressRecord>> peek_egress(const std::string& topic,
                                                  int64_t max_seq) override {
    Bound b(m_stmts[kPeekEgress]);
    b.text(topic).integer(max_seq);
    const int rc = b.step();
    if (rc == SQLITE_DONE) return std::optional<EgressRecord>();
    if (rc != SQLITE_ROW) return fail(ErrorCode::kIo, "reading egress");
    auto* s = b.raw();
    EgressRecord r;
    r.seq = sqlite3_column_int64(s, 0);
    r.egress_id = sqlite_rows::text(s, 1);
    r.topic = topic;
    r.payload = sqlite_rows::blob(s, 2);
    r.argument = {sqlite_rows::text(s, 3), true, sqlite_rows::blob(s, 4)};
    r.step = sqlite3_column_int64(s, 5);
    r.at_ms = sqlite3_column_int64(s, 6);
    return std::optional<EgressRecord>(std::move(r));
  }

  Result<void> consume_egress(int64_t seq) override {
    Bound b(m_stmts[kConsumeEgress]);
    b.integer(seq);
    if (b.step() != SQLITE_DONE) return fail(ErrorCode::kIo, "consuming egress");
    return {};
  }

  Result<void> append_trace(const TraceRecord& t) override {
    std::string changed;
    for (const auto& name : t.changed_states) {
      if (!changed.empty()) changed += ',';
      changed += name;
    }
    Bound b(m_stmts[kInsertTrace]);
    b.integer(t.step).integer(t.at_ms).address(t.address).integer(t.invocations);
    b.text(t.first_type).integer(t.duration_us).text(changed);
    b.integer(t.messages).integer(t.delayed).integer(t.egress);
    if (b.step() != SQLITE_DONE) return fail(ErrorCode::kIo, "appending to the trace");
    return {};
  }

  Result<int64_t> prune(int64_t through_step, int64_t through_seq, int64_t through_egress_seq,
                        int64_t batch) override {
    int64_t deleted = 0;
    for (auto [stmt, limit] :
         {std::pair{kPruneTrace, through_step}, std::pair{kPruneInbox, through_seq},
          std::pair{kPruneEgress, through_egress_seq}}) {
      if (limit <= 0) continue;
      Bound b(m_stmts[stmt]);
      b.integer(limit).integer(batch);
      if (b.step() != SQLITE_DONE) return fail(ErrorCode::kIo, "pruning old records");
      deleted = std::max<int64_t>(deleted, sqlite3_changes(m_db));
    }
    if (through_step > 0) {
      Bound b(m_stmts[kSetPrunedStep]);
      b.integer(through_step);
      if (b.step() != SQLITE_DONE) return fail(ErrorCode::kIo, "recording the pruned step");
    }
    return deleted;
  }

  Result<int64_t> pruned_through_step() override {
    Bound b(m_stmts[kPrunedStep]);
    if (b.step() != SQLITE_ROW) return fail(ErrorCode::kIo, "reading the pruned step");
    return sqlite3_column_int64(b.raw(), 0);
  }

  Result<std::pair<int64_t, int64_t>> last_sequences() override {
    Bound b(m_stmts[kLastSequences]);
    if (b.step() != SQLITE_ROW) return fail(ErrorCode::kIo, "reading the last sequences");
    return std::pair{sqlite3_column_int64(b.raw(), 0), sqlite3_column_int64(b.raw(), 1)};
  }

  Result<int64_t> last_step() override {
    Bound b(m_stmts[kLastStep]);
    if (b.step() != SQLITE_ROW) return fail(ErrorCode::kIo, "reading the last step");
    return sqlite3_column_int64(b.raw(), 0);
  }

 private:
  // Versions count the steps that changed an entity: every state a step
  // changes shares the step's version.
  Result<int64_t> version_for(const Address& address, int64_t step) {
    Bound b(m_stmts[kStateVersion]);
    b.address(address);
    const int rc = b.step();
    if (rc == SQLITE_DONE) return int64_t{1};
    if (rc != SQLITE_ROW) return fail(ErrorCode::kIo, "reading an entity version");
    const int64_t last = sqlite3_column_int64(b.raw(), 0);
    return sqlite3_column_int64(b.raw(), 1) == step ? last : last + 1;
  }

  Result<void> fold_history(const Address& address, int64_t version) {
    const int64_t keep = m_retention.history_versions;
    if (keep <= 0 || version <= keep) return {};
    const int64_t floor = version - keep;
    {
      Bound b(m_stmts[kFoldHistory]);
      b.address(address).integer(floor);
      if (b.step() != SQLITE_DONE) return fail(ErrorCode::kIo, "folding old history");
      if (sqlite3_changes(m_db) == 0) return {};
    }
    Bound b(m_stmts[kSetFloor]);
    b.address(address).integer(floor);
    if (b.step() != SQLITE_DONE) return fail(ErrorCode::kIo, "recording the history floor");
    return {};
  }

  Result<int64_t> history_floor(const Address& address) override {
    Bound b(m_stmts[kReadFloor]);
    b.address(address);
    if (b.step() != SQLITE_ROW) return fail(ErrorCode::kIo, "reading the history floor");
    return sqlite3_column_int64(b.raw(), 0);
  }

  Result<void> append_history(const Address& address, const std::string& name, int64_t version,
                              const TypedValue* value, const StateCause& cause) {
    Bound b(m_stmts[kInsertHistory]);
    b.address(address).text(name).integer(version);
    if (value) {
      b.text(value->type_name).blob(value->value);
    } else {
      b.null().null();
    }
    b.integer(cause.step).integer(cause.at_ms).text(cause.message_type);
    const std::string caller = cause.caller ? cause.caller->str() : std::string();
    cause.caller ? b.text(caller) : b.null();
    if (b.step() != SQLITE_DONE) return fail(ErrorCode::kIo, "appending state history");
    return fold_history(address, version);
  }

  // In-memory databases (tests) have no write-ahead log to checkpoint.
  bool is_wal() {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(m_db, "PRAGMA journal_mode", -1, &stmt, nullptr) != SQLITE_OK) {
      return false;
    }
    const bool wal =
        sqlite3_step(stmt) == SQLITE_ROW &&
        std::string_view(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))) == "wal";
    sqlite3_finalize(stmt);
    return wal;
  }

  // The database's schema version (0 for a new file); refuses newer ones.
  Result<int> check_schema_version() {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(m_db, "PRAGMA user_version", -1, &stmt, nullptr) != SQLITE_OK) {
      return fail(ErrorCode::kCorruption, "reading the schema version");
    }
    int version = 0;
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) version = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW) return fail(ErrorCode::kCorruption, "reading the schema version");
    if (version > kStoreSchemaVersion) {
      return make_error(ErrorCode::kFailedPrecondition,
                        fmt::format("{}: written by a newer statefun (schema {}, this build "
                                    "understands up to {})",
                                    m_path, version, kStoreSchemaVersion));
    }
    return version;
  }

  Result<void> exec(const std::string& sql) {
    char* message = nullptr;
    if (sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      std::string text = message ? message : "unknown error";
      sqlite3_free(message);
      const auto code = sqlite3_errcode(m_db);
      return make_error(
          code == SQLITE_NOTADB || code == SQLITE_CORRUPT ? ErrorCode::kCorruption : ErrorCode::kIo,
          fmt::format("{}: {}", m_path, text));
    }
    return {};
  }

  Result<void> run(Stmt which) {
    Bound b(m_stmts[which]);
    if (b.step() != SQLITE_DONE) return fail(ErrorCode::kIo, kSql[which]);
    return {};
  }

  std::unexpected<Error> fail(ErrorCode code, std::string_view what) {
    const int rc = sqlite3_errcode(m_db);
    if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT) code = ErrorCode::kCorruption;
    return make_error(code, fmt::format("{}: {}: {}", m_path, what, sqlite3_errmsg(m_db)));
  }

  sqlite3* m_db;
  std::string m_path;
  RetentionPolicy m_retention;
  std::array<sqlite3_stmt*, kStmtCount> m_stmts{};
  bool m_in_transaction = false;
  std::unique_ptr<WalCheckpointer> m_checkpointer;  // null: SQLite checkpoints inline
};

}  // namespace

std::string database_path(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "statefun.db").string();
}

Result<std::unique_ptr<Store>> Store::open(const std::string& path, const StoreOptions& options) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return make_error(ErrorCode::kIo, fmt::format("{}: cannot open database: {}", path, message));
  }
  sqlite3_busy_timeout(db, 5000);
  auto store = std::make_unique<SqliteStore>(db, path, options.retention);
  if (auto r = store->init(options); !r) return std::unexpected(r.error());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace statefun
