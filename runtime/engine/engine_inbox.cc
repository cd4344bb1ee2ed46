// Failed attempts, the retry policy and dead letters, and the admin's
// operations on pending messages (`statefun inbox drop|retry`) and dead
// letters (`statefun dead-letters replay|drop`). Each of these that changes
// anything is a step of its own, with a trace row whose note says what it
// did, so nothing leaves the inbox unrecorded.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "runtime/engine/engine.h"

namespace statefun {
namespace {

std::string plural(int64_t n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

}  // namespace

bool Engine::record_attempt(const Address& address, Mailbox& box, const DeliveryFailure& failure) {
  if (box.in_flight.empty()) return false;
  const int64_t now = wall_now();  // the retry policy's max age is real time
  if (!ensure_transaction()) return true;
  // Messages of one batch usually share their record: share the new one too.
  std::map<const FailureRecord*, std::shared_ptr<const FailureRecord>> updated;
  for (auto& message : box.in_flight) {
    auto& next = updated[message.failures.get()];
    if (!next) {
      auto record =
          std::make_shared<FailureRecord>(message.failures ? *message.failures : FailureRecord{});
      if (record->attempts++ == 0) record->first_failed_at_ms = now;
      record->last_failed_at_ms = now;
      record->last = failure;
      next = std::move(record);
    }
    message.failures = next;
    if (auto r = m_options.store->record_failure(message.seq, *next); !r) {
      fatal(r.error());
      return true;
    }
  }
  const RetryPolicy& policy = m_options.retry;
  if (policy.unlimited()) return true;
  auto exhausted = [&policy, now](const InboxMessage& m) {
    const FailureRecord& f = *m.failures;
    return (policy.max_attempts > 0 && f.attempts >= policy.max_attempts) ||
           (policy.max_age_ms > 0 && now - f.first_failed_at_ms >= policy.max_age_ms);
  };
  if (std::none_of(box.in_flight.begin(), box.in_flight.end(), exhausted)) return true;
  const FailureRecord& f = *box.in_flight.front().failures;
  const std::string cause =
      policy.max_attempts > 0 && f.attempts >= policy.max_attempts
          ? fmt::format("gave up after {} (retry max-attempts {})",
                        plural(f.attempts, "failed attempt", "failed attempts"),
                        policy.max_attempts)
          : fmt::format("gave up after {} ms of failures (retry max-age {} ms)",
                        now - f.first_failed_at_ms, policy.max_age_ms);
  // Only messages of the failing batch: the backlog has not been tried.
  std::set<int64_t> batch;
  for (const auto& m : box.in_flight) {
    if (exhausted(m)) batch.insert(m.seq);
  }
  auto buried = m_mailboxes.take(address, box,
                                 [&batch](const InboxMessage& m) { return batch.contains(m.seq); });
  const std::string note = fmt::format(
      "dead-lettered {}: {}; last failure: {}",
      plural(static_cast<int64_t>(buried.size()), "message", "messages"), cause, failure.reason);
  if (auto r = bury(address, std::move(buried), cause, note); !r) fatal(r.error());
  return box.busy;
}

Result<void> Engine::bury(const Address& address, std::vector<InboxMessage> messages,
                          const std::string& cause, const std::string& note) {
  if (messages.empty()) return {};
  if (!ensure_transaction()) return make_error(ErrorCode::kIo, "the state database is unavailable");
  const int64_t now = m_options.clock->now_ms();
  const int64_t step = ++m_last_step;
  for (auto& message : messages) {
    if (auto r = m_options.store->dead_letter(DeadLetter{std::move(message), step, now, cause});
        !r) {
      return r;
    }
  }
  TraceRecord trace;
  trace.step = step;
  trace.at_ms = now;
  trace.address = address;
  trace.first_type = "statefun/dead-letter";
  trace.note = note;
  if (auto r = m_options.store->append_trace(trace); !r) return r;
  if (m_options.observer) m_options.observer->on_step(trace);
  return {};
}

Result<int64_t> Engine::note_step(const Address& address, const std::string& label,
                                  const std::string& note) {
  if (!ensure_transaction()) return make_error(ErrorCode::kIo, "the state database is unavailable");
  TraceRecord trace;
  trace.step = ++m_last_step;
  trace.at_ms = m_options.clock->now_ms();
  trace.address = address;
  trace.first_type = label;
  trace.note = note;
  if (auto r = m_options.store->append_trace(trace); !r) return std::unexpected(r.error());
  if (m_options.observer) m_options.observer->on_step(trace);
  return trace.step;
}

void Engine::handle_inbox_op(InboxOpEvent& event) {
  std::optional<Address> address = event.address;
  if (event.seq) {
    // Which mailbox holds it (ingress still parked by backpressure has no
    // seq yet, so it cannot be named).
    for (auto& [at, box] : m_mailboxes) {
      auto has = [&event](const std::vector<InboxMessage>& list) {
        return std::any_of(list.begin(), list.end(),
                           [&event](const InboxMessage& m) { return m.seq == *event.seq; });
      };
      if (has(box.in_flight) || has(box.backlog)) {
        address = at;
        break;
      }
    }
    if (!address) {
      event.done(
          make_error(ErrorCode::kNotFound, fmt::format("no pending message {}", *event.seq)));
      return;
    }
  }
  Mailbox* box = m_mailboxes.find(*address);
  if (!box || (box->in_flight.empty() && box->backlog.empty())) {
    event.done(make_error(ErrorCode::kNotFound,
                          fmt::format("no pending messages for {}", address->str())));
    return;
  }
  if (box->on_wire) {
    // Between two attempts, like an edit: the answer on its way decides
    // whether there is still something to drop or retry.
    box->inbox_ops.push_back(std::move(event));
    return;
  }
  run_inbox_op(*address, *box, event);
  m_mailboxes.release_if_idle(*address);
}

void Engine::run_inbox_op(const Address& address, Mailbox& box, InboxOpEvent& event) {
  auto not_found = [&] {
    event.done(make_error(ErrorCode::kNotFound,
                          event.seq ? fmt::format("no pending message {}", *event.seq)
                                    : fmt::format("no pending messages for {}", address.str())));
  };
  if (event.op == InboxOp::kDrop) {
    auto taken = m_mailboxes.take(address, box, [&event](const InboxMessage& m) {
      return !event.seq || m.seq == *event.seq;
    });
    if (taken.empty()) return not_found();
    const auto count = static_cast<int64_t>(taken.size());
    std::string ids;
    for (const auto& m : taken) ids += (ids.empty() ? "#" : ", #") + std::to_string(m.seq);
    const std::string note =
        fmt::format("inbox drop: {} ({}) moved to the dead letters",
                    plural(count, "message", "messages"), count <= 5 ? ids : "all pending");
    if (auto r = bury(address, std::move(taken), "dropped by an admin (statefun inbox drop)", note);
        !r) {
      fatal(r.error());
      event.done(std::unexpected(r.error()));
      return;
    }
    if (!box.busy) m_failures.erase(address);  // its failing batch is gone
    maybe_send(address, box);                  // the next one
    m_after_commit.push_back([done = std::move(event.done), count](const Error* error) {
      error ? done(std::unexpected(*error)) : done(count);
    });
    return;
  }
  {
    // Only a batch waiting for its retry can be retried; a message in the
    // backlog waits behind it, so retrying its mailbox is what helps.
    if (!box.busy || box.on_wire || box.retry_due_ms < 0) {
      if (box.in_flight.empty() && box.backlog.empty()) return not_found();
      event.done(make_error(ErrorCode::kFailedPrecondition,
                            fmt::format("{} is not waiting for a retry (nothing failed, or its "
                                        "request is on its way)",
                                        address.str())));
      return;
    }
    const auto count = static_cast<int64_t>(box.in_flight.size());
    const std::string note = fmt::format("inbox retry: {} sent again now (backoff reset)",
                                         plural(count, "message", "messages"));
    if (auto r = note_step(address, "statefun/retry", note); !r) {
      fatal(r.error());
      event.done(std::unexpected(r.error()));
      return;
    }
    box.backoff_from = box.failed_attempts;
    box.retry_due_ms = -1;
    send_in_flight(address, box);
    m_after_commit.push_back([done = std::move(event.done), count](const Error* error) {
      error ? done(std::unexpected(*error)) : done(count);
    });
  }
}

void Engine::handle_dead_letter_op(DeadLetterOpEvent& event) {
  if (!ensure_transaction()) {
    event.done(make_error(ErrorCode::kIo, "the state database is unavailable"), 0);
    return;
  }
  auto taken = m_options.store->take_dead_letter(event.id);
  if (!taken) {
    fatal(taken.error());
    event.done(std::unexpected(taken.error()), 0);
    return;
  }
  if (!*taken) {
    event.done(make_error(ErrorCode::kNotFound, fmt::format("no dead letter {}", event.id)), 0);
    return;
  }
  DeadLetter letter = std::move(**taken);
  const Address address = letter.message.target;
  int64_t new_seq = 0;
  std::string note;
  if (event.op == DeadLetterOp::kReplay) {
    InboxMessage copy;
    copy.target = address;
    copy.caller = letter.message.caller;
    copy.argument = letter.message.argument;
    copy.source = letter.message.source;
    // Delivered after the replay step commits with it, so the trace reads
    // in order: replayed, then handled.
    if (auto r = enqueue_new(std::move(copy)); !r) {
      event.done(std::unexpected(r.error()), 0);
      return;
    }
    new_seq = m_last_inbox_seq;
    note = fmt::format("dead-letters replay: #{} back in the inbox as #{}", event.id, new_seq);
    if (auto step = note_step(address, "statefun/dead-letter-replay", note); !step) {
      fatal(step.error());
      event.done(std::unexpected(step.error()), 0);
      return;
    }
  } else {
    note = fmt::format("dead-letters drop: #{} ({}) deleted", event.id,
                       letter.message.argument.type_name);
    if (auto step = note_step(address, "statefun/dead-letter-drop", note); !step) {
      fatal(step.error());
      event.done(std::unexpected(step.error()), 0);
      return;
    }
  }
  m_after_commit.push_back([done = std::move(event.done), letter = std::move(letter),
                            new_seq](const Error* error) mutable {
    error ? done(std::unexpected(*error), 0) : done(std::move(letter), new_seq);
  });
}

}  // namespace statefun
