// A read-only view of the state database for everything that is not the
// engine: the admin API and the offline CLI (`statefun state|egress|timers|
// trace` with no emulator running). Schema: runtime/README.md.
//
// The connection is opened with `mode=ro`, so it can never change the
// database, and it is safe beside a running `statefun dev`: SQLite's WAL
// mode lets it read the last committed data while the engine writes. It
// sees committed data only (never the open group of the engine).
//
// Threading: one StoreReader may be used by several threads; calls are
// serialized internally. Each query is its own read transaction.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/core/result.h"
#include "runtime/protocol/model.h"
#include "runtime/store/store.h"

namespace statefun {

// One address that has state or ever received a message.
struct AddressSummary {
  Address address;
  int64_t states = 0;    // stored, unexpired values
  int64_t messages = 0;  // messages ever accepted for it
  int64_t pending = 0;   // of those, not yet consumed by a step
};

// One egress topic (playground topic, Kafka topic or Kinesis stream).
struct TopicSummary {
  std::string egress_id;
  std::string topic;
  int64_t records = 0;   // ever appended
  int64_t unpopped = 0;  // playground records not yet popped by GET /<topic>
};

// An egress record and where it is. The offset is the record's sequence
// number in the database: increasing in the order records were committed,
// shared by all topics (so not contiguous within one), and stable across
// restarts, pops (playground GET) and retention pruning.
struct EgressEntry {
  EgressRecord record;
  int64_t offset = 0;  // == record.seq
  bool popped = false;
};

struct EgressQuery {
  std::optional<std::string> topic;  // nullopt: every topic
  int64_t from_offset = 0;           // the first offset returned (inclusive)
  int64_t after_step = 0;            // only records of steps after this one
  int limit = 1000;
};

// Records of an emulated topic (Store::append_topic_record), by offset.
struct TopicRecordQuery {
  std::string topic;
  int64_t from_offset = 0;  // the first offset returned (inclusive)
  int limit = 1000;
};

// One emulated topic that has records: how many, and the next offset.
struct TopicLog {
  std::string topic;
  int64_t records = 0;
  int64_t next_offset = 0;  // the offset the next record gets
  int64_t last_at_ms = 0;   // when the newest record was produced
};

struct TraceQuery {
  int64_t after_step = 0;          // only steps after this one
  int64_t since_ms = 0;            // only steps at or after this time
  std::optional<Address> address;  // only steps of this address
  // At most this many rows. With `newest`, the latest rows (still returned
  // oldest first); otherwise the first rows after `after_step`.
  int limit = 1000;
  bool newest = false;
};

struct PendingQuery {
  std::optional<Address> address;  // only messages for this address
  bool failing = false;            // only messages with failed attempts
  int limit = 1000;
};

// One version of one state, newest last. `value` absent: deleted.
struct HistoryEntry {
  int64_t version = 0;
  std::optional<TypedValue> value;
  int64_t step = 0;
  int64_t at_ms = 0;
  std::string cause_type;    // typename of the message (or the admin label)
  std::string cause_caller;  // "ns/type/id" of the caller; empty for none
};

// One message of the inbox and whether a step consumed it yet.
struct StoredMessage {
  InboxMessage message;
  std::optional<int64_t> consumed_step;  // nullopt: pending
};

// What one step consumed and produced: the links of a causal tree.
struct StepLinks {
  std::optional<TraceRecord> trace;     // nullopt: no such step (or pruned)
  std::vector<StoredMessage> consumed;  // the batch, in arrival order
  std::vector<StoredMessage> produced;  // messages it sent, incl. delayed ones that fired
  std::vector<TimerRecord> timers;      // its delayed messages still pending
  std::vector<EgressRecord> egress;     // its egress records
};

// The message flow of the newest messages and egress records: who sends to
// whom, for the console's flow graph. A node is a function type
// ("ns/type"), where messages come from outside ("ingress", "admin") or an
// egress topic.
struct FlowEdge {
  enum class Kind { kMessage, kDelayed, kEgress };
  Kind kind = Kind::kMessage;
  std::string from;  // function type, "ingress" or "admin"; "?" for a record
                     // whose step retention pruned
  std::string to;    // function type, or the topic of an egress record
  int64_t count = 0;
  int64_t last_at_ms = 0;
  // The newest few (inbox ids of messages; offsets of egress records),
  // newest first.
  std::vector<int64_t> recent;
};

struct FlowQuery {
  int64_t window = 10000;  // the newest this many messages, and egress records
  int64_t recent = 5;      // ids kept per edge
};

struct FlowSummary {
  std::vector<FlowEdge> edges;  // by kind, then from, then to
  int64_t messages = 0;         // counted (at most the window)
  int64_t egress_records = 0;   // counted (at most the window)
  int64_t since_ms = 0;         // the oldest counted; 0 when nothing was
};

class StoreReader {
 public:
  virtual ~StoreReader() = default;

  // Opens `path` read-only. Errors: kNotFound when there is no database file
  // (no emulator ever ran with this data directory), kCorruption when it is
  // not a statefun database, kFailedPrecondition when a newer statefun wrote
  // it, kIo otherwise. One written by an older statefun is read as if it
  // were upgraded (statefun dev upgrades it for real when it opens it).
  static Result<std::unique_ptr<StoreReader>> open(const std::string& path);

  // Addresses with state or messages, sorted; of one function type if given.
  virtual Result<std::vector<AddressSummary>> addresses(
      const std::optional<FunctionType>& type) = 0;
  // The stored values of one address that have not expired at `now_ms`,
  // sorted by name. Empty (not an error) for an unknown address.
  virtual Result<std::vector<StoredState>> states(const Address& address, int64_t now_ms) = 0;
  // Pending timers, soonest first; of one target address if given.
  virtual Result<std::vector<TimerRecord>> timers(const std::optional<Address>& target) = 0;
  virtual Result<std::optional<TimerRecord>> timer(int64_t id) = 0;
  virtual Result<std::vector<TopicSummary>> topics() = 0;
  // Egress records (oldest first) without consuming them.
  virtual Result<std::vector<EgressEntry>> egress(const EgressQuery& query) = 0;
  // Emulated topics' records by offset, oldest first, and the topics that
  // have records, by name.
  virtual Result<std::vector<TopicRecordRow>> topic_records(const TopicRecordQuery& query) = 0;
  virtual Result<std::vector<TopicLog>> topic_logs() = 0;
  virtual Result<std::vector<TraceRecord>> trace(const TraceQuery& query) = 0;
  virtual Result<std::vector<HistoryEntry>> history(const Address& address,
                                                    const std::string& name) = 0;
  // The highest committed step id (0 for a new database).
  virtual Result<int64_t> last_step() = 0;

  // For rewind and replay previews (runtime/time_travel.h), the same rows
  // the engine sees: every version of every state of an address, oldest
  // first (empty for an address that never changed).
  virtual Result<std::vector<HistoryRow>> entity_history(const Address& address) = 0;
  // The oldest version retention left rebuildable (0: nothing folded).
  virtual Result<int64_t> history_floor(const Address& address) = 0;
  // The messages an address consumed in steps after `after_step`, in
  // arrival order.
  virtual Result<std::vector<InboxMessage>> received(const Address& address,
                                                     int64_t after_step) = 0;
  // The step through which consumed messages were pruned (0 if never).
  virtual Result<int64_t> pruned_through_step() = 0;
  // The virtual time a `statefun dev --clock virtual` on this database last
  // committed (Store::virtual_now); nullopt under the wall clock.
  virtual Result<std::optional<int64_t>> virtual_now() = 0;

  // Messages not yet consumed by a step, in arrival order, with their failed
  // attempts (committed ones: the engine records each failure in its group).
  virtual Result<std::vector<InboxMessage>> pending(const PendingQuery& query) = 0;
  // One pending message; nullopt when `seq` is consumed or unknown.
  virtual Result<std::optional<InboxMessage>> pending_message(int64_t seq) = 0;
  // Dead letters, oldest id first; of one target address if given.
  virtual Result<std::vector<DeadLetter>> dead_letters(const std::optional<Address>& address) = 0;
  virtual Result<std::optional<DeadLetter>> dead_letter(int64_t id) = 0;
  // Causality (runtime/engine/causal_tree.h). One message by id; nullopt
  // when there is none (never, or pruned by retention).
  virtual Result<std::optional<StoredMessage>> message(int64_t id) = 0;
  // What step `step` consumed and produced.
  virtual Result<StepLinks> step_links(int64_t step) = 0;
  // Who sent to whom among the newest messages and egress records.
  virtual Result<FlowSummary> flow(const FlowQuery& query) = 0;
  // The newest message sent through the admin API (`statefun send`);
  // nullopt when there is none.
  virtual Result<std::optional<int64_t>> last_admin_message() = 0;
};

// The application's time as an offline reader should see it: the virtual
// time recorded on the database (a virtual-clock dev ran last), else the
// wall clock.
int64_t application_now_ms(StoreReader& reader);

}  // namespace statefun
