// A function's answer to one batch: the handshake, validation of the whole
// response (nothing applies if any part is wrong; the checks themselves are
// in response_check.h, shared with the replay dry run) and the atomic step.
#include <fmt/format.h>

#include <algorithm>

#include "runtime/engine/engine.h"
#include "runtime/engine/response_check.h"
#include "runtime/protocol/codec.h"

namespace statefun {

void Engine::handle_call_done(CallDoneEvent& event) {
  Mailbox* found = m_mailboxes.find(event.address);
  if (!found || !found->on_wire) return;  // stale (cannot happen today)
  const Address& address = event.address;
  Mailbox& box = *found;
  m_mailboxes.set_on_wire(box, false);
  if (const auto& route = route_for(address.type); route && !route->gate.empty()) {
    m_gate_used_at[route->gate] = std::chrono::steady_clock::now();
  }

  if (!event.outcome.ok) {
    fail_attempt(address, box, CallFailure::from(event.outcome.error));
    return;
  }
  auto response = codec::decode_response(event.outcome.body);
  if (!response) {
    fail_attempt(address, box,
                 CallFailure::of(CallFailure::Kind::kGarbage,
                                 fmt::format("garbage response: {}", response.error().message)));
    return;
  }
  if (auto* incomplete = std::get_if<IncompleteContext>(&*response)) {
    handle_incomplete(address, box, *incomplete);
    return;
  }
  auto& result = std::get<InvocationResult>(*response);
  std::vector<RoutedEgress> routed;
  if (auto problem = validate(address, result, routed)) {
    fail_attempt(address, box, CallFailure::of(CallFailure::Kind::kInvalidResponse, *problem));
    return;
  }
  if (auto r = apply_step(address, box, result, routed); !r) fatal(r.error());
}

void Engine::handle_incomplete(const Address& address, Mailbox& box, IncompleteContext& context) {
  auto& registry = m_registries[address.type];
  std::vector<StateSpec> added;
  for (auto& spec : context.missing) {
    const StateSpec* known = registry.find(spec.name);
    if (auto problem = check_declared_state(known, spec)) {
      fail_attempt(address, box, CallFailure::of(CallFailure::Kind::kInvalidResponse, *problem));
      return;
    }
    if (known) continue;
    added.push_back(spec);
    registry.specs.push_back(std::move(spec));
  }
  if (!added.empty() && m_options.observer) {
    m_options.observer->on_states_registered(address.type, added);
  }
  // A function that keeps asking for states it was given would loop forever.
  if (added.empty() && ++box.handshakes >= m_options.max_handshakes) {
    box.handshakes = 0;
    fail_attempt(address, box,
                 CallFailure::of(CallFailure::Kind::kInvalidResponse,
                                 "the function keeps answering IncompleteInvocationContext"));
    return;
  }
  send_in_flight(address, box);  // the same batch, now with every registered state
}

std::optional<std::string> Engine::validate(const Address& address, const InvocationResult& result,
                                            std::vector<RoutedEgress>& routed) const {
  auto registry = m_registries.find(address.type);
  ResponseContext context;
  context.find_state = [&](const std::string& name) -> const StateSpec* {
    return registry == m_registries.end() ? nullptr : registry->second.find(name);
  };
  context.token_pending = [&](const std::string& token) {
    return m_timers.has_token(address.id, token);
  };
  context.route_egress = &m_options.route_egress;
  return check_response(address, result, context, routed);
}

Result<void> Engine::apply_step(const Address& address, Mailbox& box, InvocationResult& result,
                                const std::vector<RoutedEgress>& routed) {
  if (!ensure_transaction()) return make_error(ErrorCode::kIo, "the state database is unavailable");
  auto& store = *m_options.store;
  const int64_t now = m_options.clock->now_ms();
  const int64_t step = ++m_last_step;
  const auto duration = std::chrono::steady_clock::now() - box.sent_at;

  TraceRecord trace;
  trace.step = step;
  trace.at_ms = now;
  trace.address = address;
  trace.invocations = static_cast<int>(box.in_flight.size());
  trace.first_type = box.in_flight.front().argument.type_name;
  trace.duration_us = std::chrono::duration_cast<std::chrono::microseconds>(duration).count();
  trace.messages = static_cast<int>(result.messages.size());
  trace.egress = static_cast<int>(result.egress.size());

  StateCause cause{step, now, trace.first_type, box.in_flight.front().caller};
  for (const auto& message : box.in_flight) {
    if (auto r = store.mark_consumed(message.seq, step); !r) return r;
  }
  m_mailboxes.consume_batch(address, box);

  // Effects, in the runtime's order: delayed, egress, state; outgoing
  // messages are enqueued last so a message to self lands after the backlog
  // batch that this step releases.
  for (auto& delayed : result.delayed) {
    if (delayed.is_cancellation) {
      remove_timer_by_token(address.id, delayed.cancellation_token);
      continue;
    }
    ++trace.delayed;
    TimerRecord timer{0,       now + delayed.delay_ms,      std::move(delayed.target),
                      address, std::move(delayed.argument), delayed.cancellation_token,
                      step};
    if (auto r = store.add_timer(timer); !r) return r;
    m_timers.add(std::move(timer));
  }
  for (std::size_t i = 0; i < result.egress.size(); ++i) {
    EgressRecord record{0,
                        result.egress[i].egress_id(),
                        routed[i].topic,
                        routed[i].payload,
                        std::move(result.egress[i].argument),
                        step,
                        now};
    if (auto r = store.append_egress(record); !r) return r;
    if (!m_group_first_egress) m_group_first_egress = record.seq;
    m_last_egress_seq = record.seq;
  }
  const auto& registry = m_registries[address.type];
  for (const auto& mutation : result.mutations) {
    const StateSpec* spec = registry.find(mutation.name);
    if (mutation.kind == MutationKind::kModify) {
      std::optional<int64_t> expires_at;
      if (spec->expire_mode != ExpireMode::kNone) expires_at = now + spec->expire_after_ms;
      if (auto r = store.write_state(address, mutation.name, mutation.value, expires_at, cause); !r)
        return r;
    } else {
      if (auto r = store.delete_state(address, mutation.name, cause); !r) return r;
    }
    if (std::find(trace.changed_states.begin(), trace.changed_states.end(), mutation.name) ==
        trace.changed_states.end()) {
      trace.changed_states.push_back(mutation.name);
    }
  }
  if (auto r = store.append_trace(trace); !r) return r;

  if (const int failed = m_mailboxes.end_batch(box); failed > 0) {
    m_failures.erase(address);
    box.first_failed_at_ms = 0;
    if (m_options.observer) m_options.observer->on_recovered(address, failed);
  }
  run_pending_edits(address, box);  // edits wait for exactly this moment
  maybe_send(address, box);         // the backlog goes next, with the fresh state
  for (auto& message : result.messages) {
    InboxMessage inbox;
    inbox.target = std::move(message.target);
    inbox.caller = address;
    inbox.argument = std::move(message.argument);
    inbox.source = MessageSource::kFunction;
    inbox.accepted_at_ms = now;
    inbox.cause_step = step;
    if (auto r = enqueue_new(std::move(inbox)); !r) return std::unexpected(r.error());
  }
  // Egress records that an ingress reads back (a pipeline through a topic)
  // come after the step's own messages, as they would through a broker.
  for (const auto& egress : routed) {
    if (!egress.feedback) continue;
    TopicRecordRow record = egress.feedback->record;
    std::vector<InboxMessage> messages = egress.feedback->messages;
    for (auto& message : messages) message.cause_step = step;
    if (auto r = append_topic_record(record, std::move(messages)); !r)
      return std::unexpected(r.error());
  }
  if (m_options.observer) m_options.observer->on_step(trace);
  m_mailboxes.release_if_idle(address);
  return {};
}

}  // namespace statefun
