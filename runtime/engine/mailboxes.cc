#include "runtime/engine/mailboxes.h"

#include <algorithm>
#include <iterator>

namespace statefun {

Mailbox* Mailboxes::find(const Address& address) {
  auto it = m_boxes.find(address);
  return it == m_boxes.end() ? nullptr : &it->second;
}

Mailbox& Mailboxes::push(InboxMessage message) {
  ++m_queued_per_type[message.target.type];
  ++m_queued_total;
  Mailbox& box = m_boxes[message.target];
  box.backlog.push_back(std::move(message));
  return box;
}

void Mailboxes::start_batch(Mailbox& box, std::size_t limit) {
  const std::size_t take = std::min(limit, box.backlog.size());
  box.in_flight.assign(std::make_move_iterator(box.backlog.begin()),
                       std::make_move_iterator(box.backlog.begin() + take));
  box.backlog.erase(box.backlog.begin(), box.backlog.begin() + take);
  if (!box.busy) ++m_busy;
  box.busy = true;
  box.handshakes = 0;
}

void Mailboxes::consume_batch(const Address& address, Mailbox& box) {
  const auto consumed = static_cast<int64_t>(box.in_flight.size());
  box.in_flight.clear();
  m_queued_total -= consumed;
  auto it = m_queued_per_type.find(address.type);
  if (it != m_queued_per_type.end() && (it->second -= consumed) <= 0) m_queued_per_type.erase(it);
}

std::vector<InboxMessage> Mailboxes::take(const Address& address, Mailbox& box,
                                          const std::function<bool(const InboxMessage&)>& pick) {
  std::vector<InboxMessage> taken;
  for (auto* list : {&box.in_flight, &box.backlog}) {
    auto keep = std::stable_partition(list->begin(), list->end(),
                                      [&pick](const InboxMessage& m) { return !pick(m); });
    std::move(keep, list->end(), std::back_inserter(taken));
    list->erase(keep, list->end());
  }
  if (taken.empty()) return taken;
  const auto count = static_cast<int64_t>(taken.size());
  m_queued_total -= count;
  auto it = m_queued_per_type.find(address.type);
  if (it != m_queued_per_type.end() && (it->second -= count) <= 0) m_queued_per_type.erase(it);
  if (box.busy && box.in_flight.empty()) {
    end_batch(box);
    box.waiting_gate = false;
  }
  std::sort(taken.begin(), taken.end(),
            [](const InboxMessage& a, const InboxMessage& b) { return a.seq < b.seq; });
  return taken;
}

int Mailboxes::end_batch(Mailbox& box) {
  if (box.busy) --m_busy;
  box.busy = false;
  box.backoff_from = 0;
  box.retry_due_ms = -1;
  const int failed = box.failed_attempts;
  if (failed > 0) {
    box.failed_attempts = 0;
    --m_failing;
  }
  return failed;
}

int Mailboxes::record_failure(Mailbox& box) {
  if (box.failed_attempts++ == 0) ++m_failing;
  return box.failed_attempts;
}

void Mailboxes::set_on_wire(Mailbox& box, bool on_wire) {
  if (box.on_wire != on_wire) m_on_wire += on_wire ? 1 : -1;
  box.on_wire = on_wire;
}

void Mailboxes::release_if_idle(const Address& address) {
  auto it = m_boxes.find(address);
  if (it == m_boxes.end()) return;
  const Mailbox& box = it->second;
  if (!box.busy && box.backlog.empty() && box.parked.empty() && box.in_flight.empty() &&
      box.edits.empty() && box.inbox_ops.empty()) {
    m_boxes.erase(it);
  }
}

void Mailboxes::clear() {
  m_boxes.clear();
  m_queued_per_type.clear();
  m_queued_total = 0;
  m_busy = 0;
  m_on_wire = 0;
  m_failing = 0;
}

int64_t Mailboxes::queued(const FunctionType& type) const {
  auto it = m_queued_per_type.find(type);
  return it == m_queued_per_type.end() ? 0 : it->second;
}

}  // namespace statefun
