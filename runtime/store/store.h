// The durable part of the engine: one SQLite database (WAL mode) holding the
// inbox, state, state history, timers, egress records and the step trace.
// Schema: runtime/README.md ("State database"); older databases are upgraded
// in place when the store opens them (store.cc, kUpgrades).
//
// Threading: a Store is used by ONE thread (the dispatcher). Other readers
// (CLI, admin API) open their own read-only connections, which see only
// committed data.
//
// Transactions: writes happen inside an explicit transaction that the owner
// opens with begin() and closes with commit(); many steps share one
// transaction (group commit). A crash loses the uncommitted group as a whole.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/core/result.h"
#include "runtime/protocol/model.h"

namespace statefun {

// The state database's schema version (PRAGMA user_version). Readers refuse
// databases with a higher one: a newer statefun wrote them; the store
// upgrades older ones in place when it opens them (store.cc's upgrade list).
inline constexpr int kStoreSchemaVersion = 6;

// Where a message came from; shown in traces and history.
enum class MessageSource { kIngress = 0, kFunction = 1, kTimer = 2, kAdmin = 3 };

// Why one delivery attempt failed. A plain struct, so the engine and its
// observers can add detail (process output, ...) without touching the store
// more than one column per field.
struct DeliveryFailure {
  std::string reason;        // one line, e.g. "HTTP 500: Internal Server Error"
  int http_status = 0;       // 0: the call got no HTTP answer
  std::string body_excerpt;  // the start of the response body, if any
};

// The failed attempts of one pending message so far.
struct FailureRecord {
  int attempts = 0;  // failed deliveries (each batch attempt counts once)
  int64_t first_failed_at_ms = 0;
  int64_t last_failed_at_ms = 0;
  DeliveryFailure last;
};

struct InboxMessage {
  int64_t seq = 0;  // assigned by append_inbox; the global arrival order
  Address target;
  std::optional<Address> caller;
  TypedValue argument;
  MessageSource source = MessageSource::kIngress;
  int64_t accepted_at_ms = 0;
  // Null while no delivery failed. Shared, not copied: every message of a
  // failing batch points at the same record, and healthy messages (nearly
  // all of them) stay small.
  std::shared_ptr<const FailureRecord> failures;
  // The step that sent it (directly, or as a delayed message): the link of
  // the causal tree. 0: from outside (ingress, admin), or older than schema 3.
  int64_t cause_step = 0;
};

// A message taken out of the inbox for good: its retry policy ran out, or an
// admin dropped it. `message.seq` is its id (the inbox sequence it had).
struct DeadLetter {
  InboxMessage message;
  int64_t step = 0;   // the step that moved it here
  int64_t at_ms = 0;  // when
  std::string cause;  // e.g. "5 failed attempts (max-attempts 5)"
};

struct StoredState {
  std::string name;
  std::string type_name;
  std::string value;  // may be empty: a present zero-byte value
  std::optional<int64_t> expires_at_ms;
  int64_t version = 0;
};

// One state change of an entity: `version` counts the steps that changed the
// entity (every state a step changes shares its version).
struct HistoryRow {
  int64_t version = 0;
  std::string name;
  std::optional<TypedValue> value;  // nullopt: the state was deleted
  int64_t step = 0;
  int64_t at_ms = 0;
  std::string cause_type;                   // message type, or e.g. statefun/rewind
  std::optional<std::string> cause_caller;  // "ns/type/id" of the sender
};

struct TimerRecord {
  int64_t id = 0;  // assigned by add_timer
  int64_t due_ms = 0;
  Address target;
  Address sender;  // the caller of the message when it fires
  TypedValue argument;
  std::string token;  // empty: no cancellation token
  // The step that scheduled it; its message inherits this (InboxMessage).
  int64_t cause_step = 0;
};

struct EgressRecord {
  int64_t seq = 0;  // assigned by append_egress
  std::string egress_id;
  std::string topic;    // playground topic; empty for other egress kinds
  std::string payload;  // playground: the payload text; others: argument.value
  TypedValue argument;  // the record as the function sent it
  int64_t step = 0;
  int64_t at_ms = 0;
};

// One record produced to an emulated Kafka topic or Kinesis stream
// (`statefun topic produce`), appended in the same commit as the inbox
// messages its ingresses routed it to (emulator/topics/topic_routing.h).
struct TopicRecordRow {
  int64_t seq = 0;                 // assigned by append_topic_record: the order over all topics
  std::string topic;               // Kafka topic or Kinesis stream
  int64_t offset = 0;              // assigned by append_topic_record: 0, 1, 2, ... within the topic
  std::optional<std::string> key;  // nullopt: the record had none
  std::string value;
  int64_t at_ms = 0;
  int64_t first_message = 0;  // inbox seq of the first message it became (0: none)
  int64_t messages = 0;       // how many inbox messages it became
};

struct TraceRecord {
  int64_t step = 0;
  int64_t at_ms = 0;
  Address address;
  int invocations = 0;
  std::string first_type;  // typename of the first message of the batch
  int64_t duration_us = 0;
  std::vector<std::string> changed_states;
  int messages = 0;
  int delayed = 0;
  int egress = 0;
  // What an admin edit or an engine decision did, for people ("state set
  // visits", "dead-lettered 1 message: ..."); empty for a function's step.
  std::string note;
};

// Identifies what caused a state version, for the history table.
struct StateCause {
  int64_t step = 0;
  int64_t at_ms = 0;
  std::string message_type;
  std::optional<Address> caller;
};

// How much of the past the database keeps, so a long session stays bounded.
struct RetentionPolicy {
  // History versions kept per entity (0 = all). Older versions are folded:
  // each state keeps its last value before the window, so every version in
  // the window can still be rebuilt exactly.
  int64_t history_versions = 1000;
  // Consumed inbox messages, the trace and read/recorded egress older than
  // this are deleted (0 = keep forever). Replay cannot reach past it.
  int64_t max_age_ms = 7LL * 24 * 3600 * 1000;
  // The same records are also pruned, oldest first, once the bytes written
  // to them (as Store::measure_rows counts) exceed this (0 = no size cap).
  int64_t max_bytes = 1LL << 30;
};

// Where the step and sequence counters stood at one moment, and a running
// total of the bytes of trace, inbox and egress rows written by then.
// Retention prunes through marks (by age and by size); the marks are kept
// in the database so both bounds hold across restarts.
struct RetentionMark {
  int64_t id = 0;  // filled by Store::add_retention_mark
  int64_t at_ms = 0, step = 0, inbox_seq = 0, egress_seq = 0, bytes = 0;
};

// A position in a system outside statefun, kept with the state so it
// commits with what it accounts for (Kafka connect mode): for an ingress,
// the next record offset to read from one topic partition, written in the
// commit that appends the records' messages to the inbox; for an egress,
// the next egress seq to produce (topic "", partition 0).
struct ExternalOffset {
  std::string kind;  // "kafka-ingress" or "kafka-egress"
  std::string name;  // the ingress or egress id, e.g. "example/names"
  std::string topic;
  int32_t partition = 0;
  int64_t next_offset = 0;
  int64_t updated_at_ms = 0;
  bool operator==(const ExternalOffset&) const = default;
};

struct StoreOptions {
  // PRAGMA synchronous: FULL survives power loss; NORMAL only process crashes
  // (WAL keeps committed data across kill -9 either way).
  bool synchronous_full = true;
  RetentionPolicy retention;
};

class Store {
 public:
  virtual ~Store() = default;

  // Opens (creating if needed) the database at `path`. A new database is
  // created whole under a temporary name and renamed into place. Errors: kIo
  // when the file cannot be opened, kCorruption when it is not a statefun
  // database (not SQLite, an empty file, or another program's SQLite
  // database), kFailedPrecondition when it was written by a newer statefun.
  static Result<std::unique_ptr<Store>> open(const std::string& path, const StoreOptions& options);

  virtual Result<void> begin() = 0;   // no-op when a transaction is open
  virtual Result<void> commit() = 0;  // no-op when none is open
  virtual bool in_transaction() const = 0;
  // Abandons the open transaction, if any: nothing of it is kept, and the
  // store takes a new begin(). For a commit that failed (a full disk), after
  // which SQLite may or may not have rolled back already.
  virtual Result<void> rollback() = 0;
  // A nested unit inside the open transaction that can be undone alone
  // (SQLite SAVEPOINT): one edit that fails halfway leaves no trace.
  virtual Result<void> savepoint() = 0;
  virtual Result<void> release_savepoint() = 0;
  virtual Result<void> rollback_savepoint() = 0;

  // Inbox. append_inbox fills message.seq.
  virtual Result<void> append_inbox(InboxMessage& message) = 0;
  virtual Result<void> mark_consumed(int64_t seq, int64_t step) = 0;
  virtual Result<std::vector<InboxMessage>> load_pending() = 0;  // in seq order
  // Records the failed attempts of a pending message (overwrites the last).
  virtual Result<void> record_failure(int64_t seq, const FailureRecord& failures) = 0;
  // Moves a pending message to the dead letters: it counts as consumed by
  // `letter.step` (and is left out of read_received, so replay skips it).
  virtual Result<void> dead_letter(const DeadLetter& letter) = 0;
  // Removes a dead letter and returns it; nullopt when there is none by `id`.
  virtual Result<std::optional<DeadLetter>> take_dead_letter(int64_t id) = 0;
  // Messages an address consumed in steps after `after_step`, in seq order.
  virtual Result<std::vector<InboxMessage>> read_received(const Address& address,
                                                          int64_t after_step) = 0;

  // State of one address (expired rows included; the caller decides).
  virtual Result<std::vector<StoredState>> read_states(const Address& address) = 0;
  // Writes a value (new version + history row).
  virtual Result<void> write_state(const Address& address, const std::string& name,
                                   const TypedValue& value, std::optional<int64_t> expires_at_ms,
                                   const StateCause& cause) = 0;
  // Deletes a value if present (history row with no value).
  virtual Result<void> delete_state(const Address& address, const std::string& name,
                                    const StateCause& cause) = 0;
  // Moves the expiry of a present value (AFTER_INVOKE reads); no history.
  virtual Result<void> set_expiry(const Address& address, const std::string& name,
                                  int64_t expires_at_ms) = 0;
  // The whole history of an address, oldest first.
  virtual Result<std::vector<HistoryRow>> read_history(const Address& address) = 0;
  // The oldest version of an address that can still be rebuilt exactly
  // (retention folds older ones away); 0 when nothing was folded.
  virtual Result<int64_t> history_floor(const Address& address) = 0;
  // Physically removes an expired value (no history: expiry is not a write).
  virtual Result<void> drop_expired(const Address& address, const std::string& name) = 0;

  // Timers. add_timer fills timer.id.
  virtual Result<void> add_timer(TimerRecord& timer) = 0;
  virtual Result<void> remove_timer(int64_t id) = 0;
  virtual Result<std::vector<TimerRecord>> load_timers() = 0;

  // Egress. append_egress fills record.seq.
  virtual Result<void> append_egress(EgressRecord& record) = 0;
  // The oldest unconsumed playground record of `topic` with
  // after_seq < seq <= max_seq, without consuming it (a read: no transaction
  // needed). nullopt if none. `after_seq` lets the engine skip records that
  // are leased to a client (0: from the start).
  virtual Result<std::optional<EgressRecord>> peek_egress(const std::string& topic,
                                                          int64_t after_seq, int64_t max_seq) = 0;
  // Marks a record consumed: it is never served again.
  virtual Result<void> consume_egress(int64_t seq) = 0;

  virtual Result<void> append_trace(const TraceRecord& record) = 0;

  // Emulated topics. Fills row.seq and row.offset (the topic's next offset).
  // Topic records are never pruned: they are the topic's log.
  virtual Result<void> append_topic_record(TopicRecordRow& row) = 0;

  // Deletes, in bounded batches, trace rows up to `through_step`, consumed
  // inbox messages up to `through_seq` and read (or non-playground) egress
  // records up to `through_egress_seq`. Returns the number of rows deleted;
  // call again while it returns `batch`.
  virtual Result<int64_t> prune(int64_t through_step, int64_t through_seq,
                                int64_t through_egress_seq, int64_t batch) = 0;
  // The step through which consumed messages were pruned (replay cannot
  // start before it), 0 if never.
  virtual Result<int64_t> pruned_through_step() = 0;
  // The highest inbox and egress sequence numbers so far (0 when empty).
  virtual Result<std::pair<int64_t, int64_t>> last_sequences() = 0;
  // The virtual clock's time (ms) as `statefun dev --clock virtual` last
  // set it, written in the commit of the steps that saw it, so a restart
  // resumes there and offline readers see the application's time; nullopt
  // once a wall-clock run started on the database (or none ever ran).
  virtual Result<std::optional<int64_t>> virtual_now() = 0;
  virtual Result<void> set_virtual_now(std::optional<int64_t> ms) = 0;
  // The highest step id ever committed (0 for a new database).
  virtual Result<int64_t> last_step() = 0;

  // Bytes of the trace rows with step in (from.step, to.step] and of the
  // inbox and egress rows with seq in (from.*_seq, to.*_seq], as retention's
  // size cap counts them: the lengths of their names and values plus a fixed
  // amount per row (SQLite's own overhead comes on top).
  virtual Result<int64_t> measure_rows(const RetentionMark& from, const RetentionMark& to) = 0;
  // Retention marks: add fills mark.id; load returns them oldest first;
  // drop forgets those with an id below `id`.
  virtual Result<void> add_retention_mark(RetentionMark& mark) = 0;
  virtual Result<std::vector<RetentionMark>> load_retention_marks() = 0;
  virtual Result<void> drop_retention_marks_before(int64_t id) = 0;

  // External positions (ExternalOffset): set one (insert or replace), and
  // all of them, ordered by kind, name, topic, partition.
  virtual Result<void> write_external_offset(const ExternalOffset& offset) = 0;
  virtual Result<std::vector<ExternalOffset>> load_external_offsets() = 0;
};

// The database file inside a data directory.
std::string database_path(const std::string& data_dir);

}  // namespace statefun
