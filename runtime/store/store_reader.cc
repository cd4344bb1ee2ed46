#include "runtime/store/store_reader.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>

namespace statefun {
namespace {

// A prepared statement for one query; finalized when it goes out of scope.
class Query {
 public:
  Query(sqlite3* db, const std::string& sql) {
    m_rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &m_stmt, nullptr);
  }
  ~Query() { sqlite3_finalize(m_stmt); }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  bool ok() const { return m_rc == SQLITE_OK; }
  Query& text(const std::string& value) {
    sqlite3_bind_text(m_stmt, ++m_index, value.data(), static_cast<int>(value.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  Query& integer(int64_t value) {
    sqlite3_bind_int64(m_stmt, ++m_index, value);
    return *this;
  }
  Query& address(const Address& a) { return text(a.type.ns).text(a.type.name).text(a.id); }

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(m_stmt); }

  int64_t i64(int col) const { return sqlite3_column_int64(m_stmt, col); }
  bool is_null(int col) const { return sqlite3_column_type(m_stmt, col) == SQLITE_NULL; }
  std::string str(int col) const {
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, col));
    return data ? std::string(data, sqlite3_column_bytes(m_stmt, col)) : std::string();
  }
  std::string blob(int col) const {
    const auto* data = static_cast<const char*>(sqlite3_column_blob(m_stmt, col));
    return data ? std::string(data, sqlite3_column_bytes(m_stmt, col)) : std::string();
  }
  Address addr(int col) const { return Address{{str(col), str(col + 1)}, str(col + 2)}; }

 private:
  sqlite3_stmt* m_stmt = nullptr;
  int m_rc = SQLITE_ERROR;
  int m_index = 0;
};

// A file path as a URI path: the characters that end or escape one are
// percent-encoded.
std::string uri_path(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

class SqliteStoreReader final : public StoreReader {
 public:
  SqliteStoreReader(sqlite3* db, std::string path) : m_db(db), m_path(std::move(path)) {}
  ~SqliteStoreReader() override { sqlite3_close(m_db); }

  Result<void> check_schema() {
    Query q(m_db, "PRAGMA user_version");
    if (!q.ok() || q.step() != SQLITE_ROW) return fail("reading the schema version");
    const int64_t version = q.i64(0);
    if (version > kStoreSchemaVersion) {
      return make_error(ErrorCode::kFailedPrecondition,
                        fmt::format("{}: written by a newer statefun (schema {}, this build "
                                    "understands up to {})",
                                    m_path, version, kStoreSchemaVersion));
    }
    if (version == 0) {
      return make_error(ErrorCode::kNotFound,
                        fmt::format("{}: the state database is empty (statefun dev never "
                                    "finished starting on it)",
                                    m_path));
    }
    return {};
  }

  Result<std::vector<AddressSummary>> addresses(const std::optional<FunctionType>& type) override {
    std::lock_guard lock(m_mutex);
    const std::string where = type ? " WHERE ns=? AND type=?" : "";
    std::map<Address, AddressSummary> found;
    {
      Query q(m_db, "SELECT ns,type,id,count(*),sum(consumed_step IS NULL) FROM inbox" + where +
                        " GROUP BY ns,type,id");
      if (type) q.text(type->ns).text(type->name);
      int rc;
      while ((rc = q.step()) == SQLITE_ROW) {
        auto& s = found[q.addr(0)];
        s.address = q.addr(0);
        s.messages = q.i64(3);
        s.pending = q.i64(4);
      }
      if (rc != SQLITE_DONE) return fail("listing addresses");
    }
    {
      Query q(m_db, "SELECT ns,type,id,count(*) FROM state" + where + (type ? " AND" : " WHERE") +
                        " (expires_at IS NULL OR expires_at > ?) GROUP BY ns,type,id");
      if (type) q.text(type->ns).text(type->name);
      q.integer(now_ms());
      int rc;
      while ((rc = q.step()) == SQLITE_ROW) {
        auto& s = found[q.addr(0)];
        s.address = q.addr(0);
        s.states = q.i64(3);
      }
      if (rc != SQLITE_DONE) return fail("listing addresses");
    }
    std::vector<AddressSummary> out;
    for (auto& [address, summary] : found) out.push_back(std::move(summary));
    return out;
  }

  Result<std::vector<StoredState>> states(const Address& address, int64_t now) override {
    std::lock_guard lock(m_mutex);
    Query q(m_db,
            "SELECT name,typename,value,expires_at,version FROM state WHERE ns=? AND type=? AND "
            "id=? AND (expires_at IS NULL OR expires_at > ?) ORDER BY name");
    q.address(address).integer(now);
    std::vector<StoredState> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      StoredState s{q.str(0), q.str(1), q.blob(2), std::nullopt, q.i64(4)};
      if (!q.is_null(3)) s.expires_at_ms = q.i64(3);
      out.push_back(std::move(s));
    }
    if (rc != SQLITE_DONE) return fail("reading state");
    return out;
  }

  Result<std::vector<TimerRecord>> timers(const std::optional<Address>& target) override {
    std::lock_guard lock(m_mutex);
    Query q(m_db, std::string(kTimerColumns) +
                      (target ? " WHERE ns=? AND type=? AND target_id=?" : "") +
                      " ORDER BY due,id");
    if (target) q.address(*target);
    std::vector<TimerRecord> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) out.push_back(timer_row(q));
    if (rc != SQLITE_DONE) return fail("listing timers");
    return out;
  }

  Result<std::optional<TimerRecord>> timer(int64_t id) override {
    std::lock_guard lock(m_mutex);
    Query q(m_db, std::string(kTimerColumns) + " WHERE id=?");
    q.integer(id);
    const int rc = q.step();
    if (rc == SQLITE_DONE) return std::optional<TimerRecord>();
    if (rc != SQLITE_ROW) return fail("reading a timer");
    return std::optional<TimerRecord>(timer_row(q));
  }

  Result<std::vector<TopicSummary>> topics() override {
    std::lock_guard lock(m_mutex);
    Query q(m_db,
            "SELECT egress_id,topic,count(*),sum(consumed=0 AND egress_id=?) FROM egress "
            "GROUP BY egress_id,topic ORDER BY topic,egress_id");
    q.text("io.statefun.playground/egress");
    std::vector<TopicSummary> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      out.push_back({q.str(0), q.str(1), q.i64(2), q.i64(3)});
    }
    if (rc != SQLITE_DONE) return fail("listing egress topics");
    return out;
  }

  Result<std::vector<EgressEntry>> egress(const EgressQuery& query) override {
    std::lock_guard lock(m_mutex);
    std::string sql =
        "SELECT seq,egress_id,topic,payload,typename,value,step,at,consumed FROM egress WHERE "
        "seq >= ? AND step > ?";
    if (query.topic) sql += " AND topic=?";
    sql += " ORDER BY seq LIMIT ?";
    Query q(m_db, sql);
    q.integer(query.from_offset).integer(query.after_step);
    if (query.topic) q.text(*query.topic);
    q.integer(query.limit);
    std::vector<EgressEntry> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      EgressEntry e;
      e.record.seq = q.i64(0);
      e.record.egress_id = q.str(1);
      e.record.topic = q.str(2);
      e.record.payload = q.blob(3);
      e.record.argument = {q.str(4), true, q.blob(5)};
      e.record.step = q.i64(6);
      e.record.at_ms = q.i64(7);
      e.popped = q.i64(8) != 0;
      e.offset = e.record.seq;
      out.push_back(std::move(e));
    }
    if (rc != SQLITE_DONE) return fail("reading egress");
    return out;
  }

  Result<std::vector<TraceRecord>> trace(const TraceQuery& query) override {
    std::lock_guard lock(m_mutex);
    std::string sql =
        "SELECT step,at,ns,type,id,invocations,first_type,duration_us,changed,messages,delayed,"
        "egress FROM trace WHERE step > ? AND at >= ?";
    if (query.address) sql += " AND ns=? AND type=? AND id=?";
    sql += query.newest ? " ORDER BY step DESC LIMIT ?" : " ORDER BY step LIMIT ?";
    if (query.newest) sql = "SELECT * FROM (" + sql + ") ORDER BY step";
    Query q(m_db, sql);
    q.integer(query.after_step).integer(query.since_ms);
    if (query.address) q.address(*query.address);
    q.integer(query.limit);
    std::vector<TraceRecord> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      TraceRecord t;
      t.step = q.i64(0);
      t.at_ms = q.i64(1);
      t.address = q.addr(2);
      t.invocations = static_cast<int>(q.i64(5));
      t.first_type = q.str(6);
      t.duration_us = q.i64(7);
      t.changed_states = split_commas(q.str(8));
      t.messages = static_cast<int>(q.i64(9));
      t.delayed = static_cast<int>(q.i64(10));
      t.egress = static_cast<int>(q.i64(11));
      out.push_back(std::move(t));
    }
    if (rc != SQLITE_DONE) return fail("reading the trace");
    return out;
  }

  Result<std::vector<HistoryEntry>> history(const Address& address,
                                            const std::string& name) override {
    std::lock_guard lock(m_mutex);
    Query q(m_db,
            "SELECT version,typename,value,step,at,cause_type,cause_caller FROM history "
            "WHERE ns=? AND type=? AND id=? AND name=? ORDER BY version");
    q.address(address).text(name);
    std::vector<HistoryEntry> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      HistoryEntry h;
      h.version = q.i64(0);
      if (!q.is_null(1)) h.value = TypedValue{q.str(1), true, q.blob(2)};
      h.step = q.i64(3);
      h.at_ms = q.i64(4);
      h.cause_type = q.str(5);
      h.cause_caller = q.str(6);
      out.push_back(std::move(h));
    }
    if (rc != SQLITE_DONE) return fail("reading state history");
    return out;
  }

  Result<int64_t> last_step() override {
    std::lock_guard lock(m_mutex);
    Query q(m_db, "SELECT coalesce(max(step),0) FROM trace");
    if (!q.ok() || q.step() != SQLITE_ROW) return fail("reading the last step");
    return q.i64(0);
  }

  Result<std::vector<HistoryRow>> entity_history(const Address& address) override {
    std::lock_guard lock(m_mutex);
    Query q(m_db,
            "SELECT version,name,typename,value,step,at,cause_type,cause_caller FROM history "
            "WHERE ns=? AND type=? AND id=? ORDER BY version,name");
    q.address(address);
    std::vector<HistoryRow> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      HistoryRow row;
      row.version = q.i64(0);
      row.name = q.str(1);
      if (!q.is_null(2)) row.value = TypedValue{q.str(2), true, q.blob(3)};
      row.step = q.i64(4);
      row.at_ms = q.i64(5);
      row.cause_type = q.str(6);
      if (!q.is_null(7)) row.cause_caller = q.str(7);
      out.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) return fail("reading state history");
    return out;
  }

  Result<int64_t> history_floor(const Address& address) override {
    std::lock_guard lock(m_mutex);
    Query q(m_db,
            "SELECT coalesce((SELECT version FROM history_floor WHERE ns=? AND type=? AND "
            "id=?),0)");
    q.address(address);
    if (!q.ok() || q.step() != SQLITE_ROW) return fail("reading the history floor");
    return q.i64(0);
  }

  Result<std::vector<InboxMessage>> received(const Address& address, int64_t after_step) override {
    std::lock_guard lock(m_mutex);
    Query q(m_db,
            "SELECT seq,ns,type,id,caller_ns,caller_type,caller_id,typename,has_value,value,"
            "source,accepted_at FROM inbox WHERE ns=? AND type=? AND id=? AND consumed_step>? "
            "ORDER BY seq");
    q.address(address).integer(after_step);
    std::vector<InboxMessage> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      InboxMessage m;
      m.seq = q.i64(0);
      m.target = q.addr(1);
      if (!q.is_null(4)) m.caller = q.addr(4);
      m.argument = {q.str(7), q.i64(8) != 0, q.blob(9)};
      m.source = static_cast<MessageSource>(q.i64(10));
      m.accepted_at_ms = q.i64(11);
      out.push_back(std::move(m));
    }
    if (rc != SQLITE_DONE) return fail("reading received messages");
    return out;
  }

  Result<int64_t> pruned_through_step() override {
    std::lock_guard lock(m_mutex);
    Query q(m_db, "SELECT coalesce((SELECT value FROM meta WHERE key='pruned_through_step'),0)");
    if (!q.ok() || q.step() != SQLITE_ROW) return fail("reading the pruned step");
    return q.i64(0);
  }

 private:
  static constexpr const char* kTimerColumns =
      "SELECT id,due,ns,type,target_id,sender_ns,sender_type,sender_id,typename,has_value,value,"
      "token FROM timers";

  static TimerRecord timer_row(const Query& q) {
    TimerRecord t;
    t.id = q.i64(0);
    t.due_ms = q.i64(1);
    t.target = q.addr(2);
    t.sender = q.addr(5);
    t.argument = {q.str(8), q.i64(9) != 0, q.blob(10)};
    t.token = q.str(11);
    return t;
  }

  static int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  std::unexpected<Error> fail(std::string_view what) {
    const int rc = sqlite3_errcode(m_db);
    const auto code =
        rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT ? ErrorCode::kCorruption : ErrorCode::kIo;
    return make_error(code, fmt::format("{}: {}: {}", m_path, what, sqlite3_errmsg(m_db)));
  }

  std::mutex m_mutex;
  sqlite3* m_db;
  std::string m_path;
};

}  // namespace

Result<std::unique_ptr<StoreReader>> StoreReader::open(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return make_error(ErrorCode::kNotFound, fmt::format("no state database at {}", path));
  }
  // mode=ro: this connection can never write, create or checkpoint-delete
  // anything, whatever the engine is doing next to it.
  const std::string uri = "file:" + uri_path(path) + "?mode=ro";
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      uri.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return make_error(ErrorCode::kIo, fmt::format("{}: cannot open database: {}", path, message));
  }
  sqlite3_busy_timeout(db, 5000);
  auto reader = std::make_unique<SqliteStoreReader>(db, path);
  if (auto r = reader->check_schema(); !r) return std::unexpected(r.error());
  return std::unique_ptr<StoreReader>(std::move(reader));
}

}  // namespace statefun
