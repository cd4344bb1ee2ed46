// One mailbox per address with work pending, and the counters the engine's
// status is made of: messages queued per function type, batches in flight,
// requests on the wire, addresses failing.
//
// The counters change only through the methods below, so they always agree
// with the mailboxes. A plain value: no store, no clock, no function client.
// Thread-compatible.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <unordered_map>
#include <vector>

#include "runtime/engine/events.h"

namespace statefun {

struct AddressHash {
  std::size_t operator()(const Address& a) const noexcept {
    std::hash<std::string> h;
    return h(a.id) ^ (h(a.type.name) * 31) ^ (h(a.type.ns) * 131);
  }
};

// An ingress message held back by backpressure until its mailbox drains.
struct ParkedAccept {
  InboxMessage message;
  std::function<void(Result<void>)> done;
  std::function<void(int64_t)> accepted;  // AcceptEvent::accepted
};

struct Mailbox {
  // Vectors, not deques: a libstdc++ deque allocates ~600 bytes when it is
  // constructed, and there is one mailbox per address with pending work.
  std::vector<InboxMessage> backlog;    // arrived, not yet sent
  std::vector<InboxMessage> in_flight;  // the batch on the wire (or awaiting retry)
  std::vector<ParkedAccept> parked;     // ingress waiting for backlog room (rare)
  std::vector<EditEvent> edits;         // admin edits waiting for the wire to be free (rare)
  // Inbox operations (drop, retry) waiting for the wire to be free (rare).
  std::vector<InboxOpEvent> inbox_ops;
  bool busy = false;          // a batch is in flight or scheduled for retry
  bool on_wire = false;       // the batch is an HTTP request right now
  bool waiting_gate = false;  // the batch waits for its gate to open
  int failed_attempts = 0;
  int backoff_from = 0;       // failed_attempts when an admin last asked to retry now
  int64_t retry_due_ms = -1;  // when the failed batch is sent again; -1: not scheduled
  int handshakes = 0;
  std::chrono::steady_clock::time_point sent_at;  // for the step's duration in the trace
  int64_t sent_at_ms = 0;          // the same, on the engine clock: output since then is the call's
  int64_t first_failed_at_ms = 0;  // the first of the consecutive failures (0: none)
};

class Mailboxes {
 public:
  using Map = std::unordered_map<Address, Mailbox, AddressHash>;

  // The mailbox of `address`, created empty if it has none.
  Mailbox& open(const Address& address) { return m_boxes[address]; }
  Mailbox* find(const Address& address);
  Map::iterator begin() { return m_boxes.begin(); }
  Map::iterator end() { return m_boxes.end(); }
  std::size_t size() const { return m_boxes.size(); }

  // Appends a message to its target's backlog; returns that mailbox.
  Mailbox& push(InboxMessage message);
  // Moves up to `limit` messages from the backlog into the batch in flight;
  // the mailbox is busy until end_batch.
  void start_batch(Mailbox& box, std::size_t limit);
  // The batch in flight was consumed by a step: it no longer counts as queued.
  void consume_batch(const Address& address, Mailbox& box);
  // The mailbox is free again. Returns how many attempts had failed before
  // the batch succeeded (0: none), and forgets them.
  int end_batch(Mailbox& box);
  // Removes the messages `pick` chooses from the batch in flight and the
  // backlog, and returns them in seq order. A batch left empty ends (the
  // mailbox is free again); the caller makes sure it is not on the wire.
  std::vector<InboxMessage> take(const Address& address, Mailbox& box,
                                 const std::function<bool(const InboxMessage&)>& pick);
  // An attempt failed; returns the consecutive failures so far.
  int record_failure(Mailbox& box);
  // Whether the batch is an HTTP request right now.
  void set_on_wire(Mailbox& box, bool on_wire);
  // Drops the mailbox of `address` if nothing waits in it any more.
  void release_if_idle(const Address& address);
  // Forgets every mailbox and counter (the database was swapped).
  void clear();

  int64_t queued_total() const { return m_queued_total; }
  int64_t queued(const FunctionType& type) const;
  // Function types with messages queued or in flight (no zero entries).
  const std::map<FunctionType, int64_t>& queued_by_type() const { return m_queued_per_type; }
  int64_t busy() const { return m_busy; }  // batches in flight or waiting for a retry
  int64_t on_wire() const { return m_on_wire; }
  int64_t failing() const { return m_failing; }

 private:
  Map m_boxes;
  std::map<FunctionType, int64_t> m_queued_per_type;  // messages queued or in flight
  int64_t m_queued_total = 0;
  int64_t m_busy = 0;
  int64_t m_on_wire = 0;
  int64_t m_failing = 0;
};

}  // namespace statefun
