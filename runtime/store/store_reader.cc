#include "runtime/store/store_reader.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <iterator>
#include <map>
#include <mutex>
#include <tuple>

#include "runtime/store/sqlite.h"
#include "runtime/store/sqlite_rows.h"

namespace statefun {
namespace {

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

// For a database of an older schema version (statefun dev upgrades it when
// it opens it; until then readers see it through these): for each older
// version, TEMP views and tables that show it as the current schema, with
// what the later upgrades (runtime/store/store.cc, kUpgrades) added at its
// defaults. Each entry goes straight to the current schema because views of
// one name cannot be stacked; when adding an upgrade, extend every entry and
// add one for the version it upgrades from.
struct CompatViews {
  int from;
  const char* sql;
};
constexpr CompatViews kCompatViews[] = {
    {1, R"sql(
CREATE TEMP VIEW inbox AS SELECT *, 0 AS attempts, NULL AS first_failed_at,
  NULL AS last_failed_at, NULL AS failure_reason, NULL AS failure_status, NULL AS failure_body,
  0 AS dead, NULL AS cause_step FROM main.inbox;
CREATE TEMP TABLE dead_letters (
  seq INTEGER PRIMARY KEY, ns TEXT, type TEXT, id TEXT, caller_ns TEXT, caller_type TEXT,
  caller_id TEXT, typename TEXT, has_value INTEGER, value BLOB, source INTEGER,
  accepted_at INTEGER, attempts INTEGER, first_failed_at INTEGER, last_failed_at INTEGER,
  failure_reason TEXT, failure_status INTEGER, failure_body BLOB, dead_step INTEGER,
  dead_at INTEGER, cause TEXT, cause_step INTEGER);
CREATE TEMP VIEW trace AS SELECT *, '' AS note FROM main.trace;
CREATE TEMP VIEW timers AS SELECT *, NULL AS cause_step FROM main.timers;
CREATE TEMP TABLE topic_records (
  seq INTEGER PRIMARY KEY, topic TEXT, topic_offset INTEGER, key BLOB, value BLOB, at INTEGER,
  first_message INTEGER, messages INTEGER);
)sql"},
    {2, R"sql(
CREATE TEMP VIEW inbox AS SELECT *, NULL AS cause_step FROM main.inbox;
CREATE TEMP VIEW dead_letters AS SELECT *, NULL AS cause_step FROM main.dead_letters;
CREATE TEMP VIEW timers AS SELECT *, NULL AS cause_step FROM main.timers;
CREATE TEMP TABLE topic_records (
  seq INTEGER PRIMARY KEY, topic TEXT, topic_offset INTEGER, key BLOB, value BLOB, at INTEGER,
  first_message INTEGER, messages INTEGER);
)sql"},
    // Version 4 added only retention_marks, which readers never read.
    {3, R"sql(
CREATE TEMP TABLE topic_records (
  seq INTEGER PRIMARY KEY, topic TEXT, topic_offset INTEGER, key BLOB, value BLOB, at INTEGER,
  first_message INTEGER, messages INTEGER);
)sql"},
    // Version 5 added topic_records: none yet.
    {4, R"sql(
CREATE TEMP TABLE topic_records (
  seq INTEGER PRIMARY KEY, topic TEXT, topic_offset INTEGER, key BLOB, value BLOB, at INTEGER,
  first_message INTEGER, messages INTEGER);
)sql"},
    // Version 6 added external_offsets (Kafka connect mode), which readers never read.
    {5, ""},
};
static_assert(std::size(kCompatViews) == kStoreSchemaVersion - 1,
              "one set of compatibility views per older schema version");

class SqliteStoreReader final : public StoreReader {
 public:
  explicit SqliteStoreReader(sqlite::Connection db) : m_db(std::move(db)) {}

  Result<void> check_schema() {
    auto version = m_db.scalar("PRAGMA user_version", "reading the schema version");
    if (!version) return std::unexpected(version.error());
    if (*version > kStoreSchemaVersion) {
      return make_error(ErrorCode::kFailedPrecondition,
                        fmt::format("{}: written by a newer statefun (schema {}, this build "
                                    "understands up to {})",
                                    m_db.path(), *version, kStoreSchemaVersion));
    }
    m_version = static_cast<int>(*version);
    if (*version > 0 && *version < kStoreSchemaVersion) {
      // Read-only, so it cannot be upgraded here: temporary views (they live
      // in this connection only and shadow the file's tables) show its rows
      // with the columns the later schemas added, at their defaults.
      for (const auto& [from, sql] : kCompatViews) {
        if (from != *version) continue;
        if (auto r = m_db.exec(sql); !r) return r;
      }
    }
    if (*version == 0) {
      return make_error(ErrorCode::kNotFound,
                        fmt::format("{}: the state database is empty (statefun dev never "
                                    "finished starting on it)",
                                    m_db.path()));
    }
    return {};
  }

  Result<std::vector<AddressSummary>> addresses(const std::optional<FunctionType>& type) override {
    std::lock_guard lock(m_mutex);
    const std::string where = type ? " WHERE ns=? AND type=?" : "";
    std::map<Address, AddressSummary> found;
    {
      auto q = m_db.prepare("SELECT ns,type,id,count(*),sum(consumed_step IS NULL) FROM inbox" +
                            where + " GROUP BY ns,type,id");
      if (!q) return std::unexpected(q.error());
      if (type) q->text(type->ns).text(type->name);
      auto done = q->for_each_row("listing addresses", [&](const sqlite::Statement& row) {
        auto& s = found[sqlite_rows::address(row, 0)];
        s.address = sqlite_rows::address(row, 0);
        s.messages = row.column_int(3);
        s.pending = row.column_int(4);
      });
      if (!done) return std::unexpected(done.error());
    }
    {
      auto q = m_db.prepare("SELECT ns,type,id,count(*) FROM state" + where +
                            (type ? " AND" : " WHERE") +
                            " (expires_at IS NULL OR expires_at > ?) GROUP BY ns,type,id");
      if (!q) return std::unexpected(q.error());
      if (type) q->text(type->ns).text(type->name);
      q->integer(now_ms());
      auto done = q->for_each_row("listing addresses", [&](const sqlite::Statement& row) {
        auto& s = found[sqlite_rows::address(row, 0)];
        s.address = sqlite_rows::address(row, 0);
        s.states = row.column_int(3);
      });
      if (!done) return std::unexpected(done.error());
    }
    std::vector<AddressSummary> out;
    for (auto& [address, summary] : found) out.push_back(std::move(summary));
    return out;
  }

  Result<std::vector<StoredState>> states(const Address& address, int64_t now) override {
    std::lock_guard lock(m_mutex);
    auto q = m_db.prepare(
        "SELECT name,typename,value,expires_at,version FROM state WHERE ns=? AND type=? AND "
        "id=? AND (expires_at IS NULL OR expires_at > ?) ORDER BY name");
    if (!q) return std::unexpected(q.error());
    sqlite_rows::bind(*q, address).integer(now);
    std::vector<StoredState> out;
    auto done = q->for_each_row("reading state", [&](const sqlite::Statement& row) {
      StoredState s{row.column_text(0), row.column_text(1), row.column_blob(2), std::nullopt,
                    row.column_int(4)};
      if (!row.column_is_null(3)) s.expires_at_ms = row.column_int(3);
      out.push_back(std::move(s));
    });
    if (!done) return std::unexpected(done.error());
    return out;
  }

  Result<std::vector<TimerRecord>> timers(const std::optional<Address>& target) override {
    std::lock_guard lock(m_mutex);
    auto q = m_db.prepare(fmt::format("SELECT {} FROM timers{} ORDER BY due,id",
                                      sqlite_rows::kTimerColumns,
                                      target ? " WHERE ns=? AND type=? AND target_id=?" : ""));
    if (!q) return std::unexpected(q.error());
    if (target) sqlite_rows::bind(*q, *target);
    std::vector<TimerRecord> out;
    auto done = q->for_each_row("listing timers", [&](const sqlite::Statement& row) {
      out.push_back(sqlite_rows::timer(row));
    });
    if (!done) return std::unexpected(done.error());
    return out;
  }

  Result<std::optional<TimerRecord>> timer(int64_t id) override {
    std::lock_guard lock(m_mutex);
    auto q =
        m_db.prepare(fmt::format("SELECT {} FROM timers WHERE id=?", sqlite_rows::kTimerColumns));
    if (!q) return std::unexpected(q.error());
    q->integer(id);
    auto row = q->step("reading a timer");
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<TimerRecord>();
    return std::optional<TimerRecord>(sqlite_rows::timer(*q));
  }

  Result<std::vector<TopicSummary>> topics() override {
    std::lock_guard lock(m_mutex);
    auto q = m_db.prepare(
        "SELECT egress_id,topic,count(*),sum(consumed=0 AND "
        "egress_id='io.statefun.playground/egress') FROM egress GROUP BY egress_id,topic ORDER BY "
        "topic,egress_id");
    if (!q) return std::unexpected(q.error());
    std::vector<TopicSummary> out;
    auto done = q->for_each_row("listing egress topics", [&](const sqlite::Statement& row) {
      out.push_back({row.column_text(0), row.column_text(1), row.column_int(2), row.column_int(3)});
    });
    if (!done) return std::unexpected(done.error());
    return out;
  }

  Result<std::vector<EgressEntry>> egress(const EgressQuery& query) override {
    std::lock_guard lock(m_mutex);
    std::string sql =
        "SELECT seq,egress_id,topic,payload,typename,value,step,at,consumed FROM egress WHERE "
        "seq >= ? AND step > ?";
    if (query.topic) sql += " AND topic=?";
    sql += " ORDER BY seq LIMIT ?";
    auto q = m_db.prepare(sql);
    if (!q) return std::unexpected(q.error());
    q->integer(query.from_offset).integer(query.after_step);
    if (query.topic) q->text(*query.topic);
    q->integer(query.limit);
    std::vector<EgressEntry> out;
    auto done = q->for_each_row("reading egress", [&](const sqlite::Statement& row) {
      EgressEntry e;
      e.record.seq = row.column_int(0);
      e.record.egress_id = row.column_text(1);
      e.record.topic = row.column_text(2);
      e.record.payload = row.column_blob(3);
      e.record.argument = {row.column_text(4), true, row.column_blob(5)};
      e.record.step = row.column_int(6);
      e.record.at_ms = row.column_int(7);
      e.popped = row.column_int(8) != 0;
      e.offset = e.record.seq;
      out.push_back(std::move(e));
    });
    if (!done) return std::unexpected(done.error());
    return out;
  }

  Result<std::vector<TopicRecordRow>> topic_records(const TopicRecordQuery& query) override {
    std::lock_guard lock(m_mutex);
    auto q = m_db.prepare(
        "SELECT seq,topic_offset,key,value,at,first_message,messages FROM topic_records WHERE "
        "topic=? AND topic_offset>=? ORDER BY topic_offset LIMIT ?");
    if (!q) return std::unexpected(q.error());
    q->text(query.topic).integer(query.from_offset).integer(query.limit);
    std::vector<TopicRecordRow> out;
    auto done = q->for_each_row("reading a topic", [&](const sqlite::Statement& row) {
      TopicRecordRow r;
      r.seq = row.column_int(0);
      r.topic = query.topic;
      r.offset = row.column_int(1);
      if (!row.column_is_null(2)) r.key = row.column_blob(2);
      r.value = row.column_blob(3);
      r.at_ms = row.column_int(4);
      r.first_message = row.column_int(5);
      r.messages = row.column_int(6);
      out.push_back(std::move(r));
    });
    if (!done) return std::unexpected(done.error());
    return out;
  }

  Result<std::vector<TopicLog>> topic_logs() override {
    std::lock_guard lock(m_mutex);
    auto q = m_db.prepare(
        "SELECT topic,count(*),max(topic_offset)+1,max(at) FROM topic_records GROUP BY topic "
        "ORDER BY topic");
    if (!q) return std::unexpected(q.error());
    std::vector<TopicLog> out;
    auto done = q->for_each_row("listing topics", [&](const sqlite::Statement& row) {
      out.push_back({row.column_text(0), row.column_int(1), row.column_int(2), row.column_int(3)});
    });
    if (!done) return std::unexpected(done.error());
    return out;
  }

  Result<std::vector<TraceRecord>> trace(const TraceQuery& query) override {
    std::lock_guard lock(m_mutex);
    std::string sql =
        "SELECT step,at,ns,type,id,invocations,first_type,duration_us,changed,messages,delayed,"
        "egress,note FROM trace WHERE step > ? AND at >= ?";
    if (query.address) sql += " AND ns=? AND type=? AND id=?";
    sql += query.newest ? " ORDER BY step DESC LIMIT ?" : " ORDER BY step LIMIT ?";
    if (query.newest) sql = "SELECT * FROM (" + sql + ") ORDER BY step";
    auto q = m_db.prepare(sql);
    if (!q) return std::unexpected(q.error());
    q->integer(query.after_step).integer(query.since_ms);
    if (query.address) sqlite_rows::bind(*q, *query.address);
    q->integer(query.limit);
    std::vector<TraceRecord> out;
    auto done = q->for_each_row("reading the trace", [&](const sqlite::Statement& row) {
      TraceRecord t;
      t.step = row.column_int(0);
      t.at_ms = row.column_int(1);
      t.address = sqlite_rows::address(row, 2);
      t.invocations = static_cast<int>(row.column_int(5));
      t.first_type = row.column_text(6);
      t.duration_us = row.column_int(7);
      t.changed_states = split_commas(row.column_text(8));
      t.messages = static_cast<int>(row.column_int(9));
      t.delayed = static_cast<int>(row.column_int(10));
      t.note = row.column_text(12);
      t.egress = static_cast<int>(row.column_int(11));
      out.push_back(std::move(t));
    });
    if (!done) return std::unexpected(done.error());
    return out;
  }

  Result<std::vector<HistoryEntry>> history(const Address& address,
                                            const std::string& name) override {
    std::lock_guard lock(m_mutex);
    auto q = m_db.prepare(
        "SELECT version,typename,value,step,at,cause_type,cause_caller FROM history "
        "WHERE ns=? AND type=? AND id=? AND name=? ORDER BY version");
    if (!q) return std::unexpected(q.error());
    sqlite_rows::bind(*q, address).text(name);
    std::vector<HistoryEntry> out;
    auto done = q->for_each_row("reading state history", [&](const sqlite::Statement& row) {
      HistoryEntry h;
      h.version = row.column_int(0);
      if (!row.column_is_null(1))
        h.value = TypedValue{row.column_text(1), true, row.column_blob(2)};
      h.step = row.column_int(3);
      h.at_ms = row.column_int(4);
      h.cause_type = row.column_text(5);
      h.cause_caller = row.column_text(6);
      out.push_back(std::move(h));
    });
    if (!done) return std::unexpected(done.error());
    return out;
  }

  Result<int64_t> last_step() override {
    std::lock_guard lock(m_mutex);
    return m_db.scalar(sqlite_rows::kLastStepSql, "reading the last step");
  }

  Result<std::vector<HistoryRow>> entity_history(const Address& address) override {
    std::lock_guard lock(m_mutex);
    auto q = m_db.prepare(
        "SELECT version,name,typename,value,step,at,cause_type,cause_caller FROM history "
        "WHERE ns=? AND type=? AND id=? ORDER BY version,name");
    if (!q) return std::unexpected(q.error());
    sqlite_rows::bind(*q, address);
    std::vector<HistoryRow> out;
    auto done = q->for_each_row("reading state history", [&](const sqlite::Statement& row) {
      out.push_back(sqlite_rows::history(row));
    });
    if (!done) return std::unexpected(done.error());
    return out;
  }

  Result<int64_t> history_floor(const Address& address) override {
    std::lock_guard lock(m_mutex);
    auto q = m_db.prepare(
        "SELECT coalesce((SELECT version FROM history_floor WHERE ns=? AND type=? AND "
        "id=?),0)");
    if (!q) return std::unexpected(q.error());
    sqlite_rows::bind(*q, address);
    auto row = q->step("reading the history floor");
    if (!row) return std::unexpected(row.error());
    return *row ? q->column_int(0) : 0;
  }

  Result<std::vector<InboxMessage>> received(const Address& address, int64_t after_step) override {
    std::lock_guard lock(m_mutex);
    auto q = m_db.prepare(fmt::format(
        "SELECT {} FROM inbox WHERE ns=? AND type=? AND id=? AND consumed_step>? AND dead=0 "
        "ORDER BY seq",
        sqlite_rows::kInboxColumns));
    if (!q) return std::unexpected(q.error());
    sqlite_rows::bind(*q, address).integer(after_step);
    std::vector<InboxMessage> out;
    auto done = q->for_each_row("reading received messages", [&](const sqlite::Statement& row) {
      out.push_back(sqlite_rows::inbox_message(row));
    });
    if (!done) return std::unexpected(done.error());
    return out;
  }

  Result<std::vector<InboxMessage>> pending(const PendingQuery& query) override {
    std::lock_guard lock(m_mutex);
    std::string sql =
        fmt::format("SELECT {} FROM inbox WHERE consumed_step IS NULL", sqlite_rows::kInboxColumns);
    if (query.address) sql += " AND ns=? AND type=? AND id=?";
    if (query.failing) sql += " AND attempts>0";
    sql += " ORDER BY seq LIMIT ?";
    auto q = m_db.prepare(sql);
    if (!q) return std::unexpected(q.error());
    if (query.address) sqlite_rows::bind(*q, *query.address);
    q->integer(query.limit);
    std::vector<InboxMessage> out;
    auto done = q->for_each_row("listing pending messages", [&](const sqlite::Statement& row) {
      out.push_back(sqlite_rows::inbox_message(row));
    });
    if (!done) return std::unexpected(done.error());
    return out;
  }

  Result<std::optional<InboxMessage>> pending_message(int64_t seq) override {
    std::lock_guard lock(m_mutex);
    auto q = m_db.prepare(fmt::format("SELECT {} FROM inbox WHERE seq=? AND consumed_step IS NULL",
                                      sqlite_rows::kInboxColumns));
    if (!q) return std::unexpected(q.error());
    q->integer(seq);
    auto row = q->step("reading a pending message");
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<InboxMessage>();
    return std::optional<InboxMessage>(sqlite_rows::inbox_message(*q));
  }

  Result<std::vector<DeadLetter>> dead_letters(const std::optional<Address>& address) override {
    std::lock_guard lock(m_mutex);
    auto q = m_db.prepare(
        fmt::format("SELECT {},dead_step,dead_at,cause FROM dead_letters{} ORDER "
                    "BY seq",
                    sqlite_rows::kInboxColumns, address ? " WHERE ns=? AND type=? AND id=?" : ""));
    if (!q) return std::unexpected(q.error());
    if (address) sqlite_rows::bind(*q, *address);
    std::vector<DeadLetter> out;
    auto done = q->for_each_row("listing dead letters", [&](const sqlite::Statement& row) {
      out.push_back(sqlite_rows::dead_letter(row));
    });
    if (!done) return std::unexpected(done.error());
    return out;
  }

  Result<std::optional<DeadLetter>> dead_letter(int64_t id) override {
    std::lock_guard lock(m_mutex);
    auto q =
        m_db.prepare(fmt::format("SELECT {},dead_step,dead_at,cause FROM dead_letters WHERE "
                                 "seq=?",
                                 sqlite_rows::kInboxColumns));
    if (!q) return std::unexpected(q.error());
    q->integer(id);
    auto row = q->step("reading a dead letter");
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<DeadLetter>();
    return std::optional<DeadLetter>(sqlite_rows::dead_letter(*q));
  }

  Result<int64_t> pruned_through_step() override {
    std::lock_guard lock(m_mutex);
    return m_db.scalar(
        "SELECT coalesce((SELECT value FROM meta WHERE key='pruned_through_step'),0)",
        "reading the pruned step");
  }

  Result<std::optional<int64_t>> virtual_now() override {
    std::lock_guard lock(m_mutex);
    return virtual_now_locked();
  }

  Result<std::optional<StoredMessage>> message(int64_t id) override {
    std::lock_guard lock(m_mutex);
    auto found = messages_where("seq=?", id);
    if (!found) return std::unexpected(found.error());
    if (found->empty()) return std::optional<StoredMessage>();
    return std::optional<StoredMessage>(std::move(found->front()));
  }

  Result<StepLinks> step_links(int64_t step) override {
    StepLinks links;
    {
      TraceQuery query;
      query.after_step = step - 1;
      query.limit = 1;
      auto rows = trace(query);
      if (!rows) return std::unexpected(rows.error());
      if (!rows->empty() && rows->front().step == step) links.trace = std::move(rows->front());
    }
    std::lock_guard lock(m_mutex);
    auto consumed = messages_where("consumed_step=?", step);
    if (!consumed) return std::unexpected(consumed.error());
    links.consumed = std::move(*consumed);
    if (m_version < 3) return links;  // no causality recorded before schema 3
    auto produced = messages_where("cause_step=?", step);
    if (!produced) return std::unexpected(produced.error());
    links.produced = std::move(*produced);
    {
      auto q = m_db.prepare(fmt::format("SELECT {} FROM timers WHERE cause_step=? ORDER BY id",
                                        sqlite_rows::kTimerColumns));
      if (!q) return std::unexpected(q.error());
      q->integer(step);
      auto done = q->for_each_row("reading a step's timers", [&](const sqlite::Statement& row) {
        links.timers.push_back(sqlite_rows::timer(row));
      });
      if (!done) return std::unexpected(done.error());
    }
    auto q = m_db.prepare(
        "SELECT seq,egress_id,topic,payload,typename,value,step,at FROM egress WHERE step=? ORDER "
        "BY seq");
    if (!q) return std::unexpected(q.error());
    q->integer(step);
    auto done = q->for_each_row("reading a step's egress", [&](const sqlite::Statement& row) {
      EgressRecord r;
      r.seq = row.column_int(0);
      r.egress_id = row.column_text(1);
      r.topic = row.column_text(2);
      r.payload = row.column_blob(3);
      r.argument = {row.column_text(4), true, row.column_blob(5)};
      r.step = row.column_int(6);
      r.at_ms = row.column_int(7);
      links.egress.push_back(std::move(r));
    });
    if (!done) return std::unexpected(done.error());
    return links;
  }

  Result<std::optional<int64_t>> last_admin_message() override {
    std::lock_guard lock(m_mutex);
    // Newest first along the primary key: stops at the first admin message.
    auto q = m_db.prepare("SELECT seq FROM inbox WHERE source=? ORDER BY seq DESC LIMIT 1");
    if (!q) return std::unexpected(q.error());
    q->integer(static_cast<int>(MessageSource::kAdmin));
    auto row = q->step("finding the last message sent");
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<int64_t>();
    return std::optional<int64_t>(q->column_int(0));
  }

  Result<FlowSummary> flow(const FlowQuery& query) override {
    std::lock_guard lock(m_mutex);
    FlowSummary summary;
    std::map<std::tuple<FlowEdge::Kind, std::string, std::string>, FlowEdge> edges;
    auto count = [&](FlowEdge::Kind kind, std::string from, std::string to, int64_t id,
                     int64_t at_ms) {
      auto& edge = edges[{kind, from, to}];
      if (edge.count++ == 0) {
        edge.kind = kind;
        edge.from = std::move(from);
        edge.to = std::move(to);
        edge.last_at_ms = at_ms;  // rows come newest first
      }
      if (static_cast<int64_t>(edge.recent.size()) < query.recent) edge.recent.push_back(id);
      if (summary.since_ms == 0 || at_ms < summary.since_ms) summary.since_ms = at_ms;
    };
    {
      // Newest first along the primary key: the window is an index range.
      auto q = m_db.prepare(
          "SELECT seq,caller_ns,caller_type,source,ns,type,accepted_at FROM inbox "
          "ORDER BY seq DESC LIMIT ?");
      if (!q) return std::unexpected(q.error());
      q->integer(query.window);
      auto done = q->for_each_row("reading the message flow", [&](const sqlite::Statement& row) {
        const auto source = static_cast<MessageSource>(row.column_int(3));
        std::string from = !row.column_is_null(1)
                               ? row.column_text(1) + "/" + row.column_text(2)
                               : (source == MessageSource::kAdmin ? "admin" : "ingress");
        count(source == MessageSource::kTimer ? FlowEdge::Kind::kDelayed : FlowEdge::Kind::kMessage,
              std::move(from), row.column_text(4) + "/" + row.column_text(5), row.column_int(0),
              row.column_int(6));
        ++summary.messages;
      });
      if (!done) return std::unexpected(done.error());
    }
    {
      // The step that wrote a record says which function type wrote it; a
      // record whose trace row retention pruned still counts, from "?".
      auto q = m_db.prepare(
          "SELECT e.seq,e.topic,e.at,t.ns,t.type FROM "
          "(SELECT seq,topic,at,step FROM egress ORDER BY seq DESC LIMIT ?) e "
          "LEFT JOIN trace t ON t.step=e.step ORDER BY e.seq DESC");
      if (!q) return std::unexpected(q.error());
      q->integer(query.window);
      auto done = q->for_each_row("reading the egress flow", [&](const sqlite::Statement& row) {
        std::string from = row.column_is_null(3) ? std::string("?")
                                                 : row.column_text(3) + "/" + row.column_text(4);
        count(FlowEdge::Kind::kEgress, std::move(from), row.column_text(1), row.column_int(0),
              row.column_int(2));
        ++summary.egress_records;
      });
      if (!done) return std::unexpected(done.error());
    }
    for (auto& [key, edge] : edges) summary.edges.push_back(std::move(edge));
    return summary;
  }

 private:
  // Inbox rows matching `where` (one integer parameter), with whether they
  // were consumed, in arrival order. The caller holds m_mutex.
  Result<std::vector<StoredMessage>> messages_where(const char* where, int64_t value) {
    auto q = m_db.prepare(fmt::format("SELECT {},consumed_step FROM inbox WHERE {} ORDER BY seq",
                                      sqlite_rows::kInboxColumns, where));
    if (!q) return std::unexpected(q.error());
    q->integer(value);
    std::vector<StoredMessage> out;
    auto done = q->for_each_row("reading messages", [&](const sqlite::Statement& row) {
      StoredMessage m{sqlite_rows::inbox_message(row), std::nullopt};
      const int consumed = sqlite_rows::kInboxColumnCount;
      if (!row.column_is_null(consumed)) m.consumed_step = row.column_int(consumed);
      out.push_back(std::move(m));
    });
    if (!done) return std::unexpected(done.error());
    return out;
  }

  Result<std::optional<int64_t>> virtual_now_locked() {
    auto q = m_db.prepare("SELECT value FROM meta WHERE key='virtual_now_ms'");
    if (!q) return std::unexpected(q.error());
    auto row = q->step("reading the virtual time");
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<int64_t>();
    return std::optional<int64_t>(q->column_int(0));
  }

  // The application's time: the virtual clock's where one ran on this
  // database last, else the wall clock (state expiry counts in it).
  int64_t now_ms() {
    if (auto virtual_ms = virtual_now_locked(); virtual_ms && *virtual_ms) return **virtual_ms;
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  std::mutex m_mutex;
  sqlite::Connection m_db;  // every call holds m_mutex
  int m_version = 0;        // the schema version the file was opened at
};

}  // namespace

Result<std::unique_ptr<StoreReader>> StoreReader::open(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return make_error(ErrorCode::kNotFound, fmt::format("no state database at {}", path));
  }
  // Read-only (mode=ro): this connection can never write, create or
  // checkpoint-delete anything, whatever the engine is doing next to it.
  auto db = sqlite::Connection::open(path, {.access = sqlite::Access::kReadOnly, .shared = true});
  if (!db) return std::unexpected(db.error());
  auto reader = std::make_unique<SqliteStoreReader>(std::move(*db));
  if (auto r = reader->check_schema(); !r) return std::unexpected(r.error());
  return std::unique_ptr<StoreReader>(std::move(reader));
}

int64_t application_now_ms(StoreReader& reader) {
  if (auto virtual_ms = reader.virtual_now(); virtual_ms && *virtual_ms) return **virtual_ms;
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace statefun
