// Playground egress pops. A pop only leases a record: the surface serves it
// and settles the lease once the HTTP response's last byte was written (or
// could not be). Only then is the record consumed, in the next group, so a
// statefun killed mid-pop never loses a record; at worst a record that was
// written just before the kill, and whose consumption had not committed, is
// served once more after the restart (docs: README "Playground ingress and
// egress").
#include <limits>

#include "runtime/engine/engine.h"

namespace statefun {

Result<std::optional<EgressRecord>> Engine::peek_unleased(const std::string& topic) {
  // Records appended in the open group are not committed yet.
  const int64_t limit =
      m_group_first_egress ? *m_group_first_egress - 1 : std::numeric_limits<int64_t>::max();
  std::set<int64_t> leased;
  for (const auto& [ticket, seq] : m_egress_leases) leased.insert(seq);
  int64_t after = 0;
  // At most one read per lease held (bounded by the open connections).
  for (;;) {
    auto record = m_options.store->peek_egress(topic, after, limit);
    if (!record || !*record || !leased.contains((**record).seq)) return record;
    after = (**record).seq;
  }
}

void Engine::handle_pop(PopEgressEvent& event) {
  // A read, no transaction: a poller asking an empty topic costs no commit.
  auto record = peek_unleased(event.topic);
  if (!record) {
    event.done(std::unexpected(record.error()));
    return;
  }
  if (!*record) {
    event.done(std::optional<EgressLease>());
    return;
  }
  EgressLease lease{std::move(**record), 0};
  if (event.consume) {
    lease.ticket = m_next_lease++;
    m_egress_leases.emplace(lease.ticket, lease.record.seq);
  }
  event.done(std::optional<EgressLease>(std::move(lease)));
}

void Engine::handle_settle(SettleEgressEvent& event) {
  if (!m_egress_leases.contains(event.ticket)) return;  // a restore dropped it
  if (!event.delivered) {
    m_egress_leases.erase(event.ticket);  // served again to the next pop
    return;
  }
  consume_leased(event.ticket);
}

void Engine::settle_while_stopped(const SettleEgressEvent& event) {
  if (!m_egress_leases.contains(event.ticket)) return;
  if (!event.delivered) {
    m_egress_leases.erase(event.ticket);
  } else if (m_full) {
    m_consume_again.push_back(event.ticket);  // the client has it: consume on resume
  }
  // After a fatal error nothing is written any more; the record is served
  // again after the restart.
}

void Engine::consume_leased(int64_t ticket) {
  const int64_t seq = m_egress_leases.at(ticket);
  auto consumed = ensure_transaction() ? m_options.store->consume_egress(seq)
                                       : Result<void>(std::unexpected(refusal()));
  if (!consumed) {
    if (!stopped()) fatal(consumed.error());
    if (m_full) m_consume_again.push_back(ticket);
    return;
  }
  // The lease keeps other pops away until the consumption is durable.
  m_after_commit.push_back([this, ticket](const Error* error) {
    if (!error) {
      m_egress_leases.erase(ticket);
    } else if (m_full) {
      m_consume_again.push_back(ticket);  // rolled back with the group
    }
  });
}

void Engine::consume_delivered_again() {
  auto tickets = std::move(m_consume_again);
  m_consume_again.clear();
  for (const int64_t ticket : tickets) {
    if (stopped()) {
      if (m_full) m_consume_again.push_back(ticket);
      continue;
    }
    if (m_egress_leases.contains(ticket)) consume_leased(ticket);
  }
}

}  // namespace statefun
