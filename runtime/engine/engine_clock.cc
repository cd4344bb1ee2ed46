// Moving the virtual clock (`statefun clock advance|set`): one due time at a
// time, so every timer is delivered at its own due time, in due order, and
// every step it causes sees that time before the clock moves on.
//
// An advance is a small state machine driven by fire_due(), which ends
// every group: handle_advance() only records it; continue_advance() moves
// the clock to the next due timer once nothing is on the wire (the steps
// of the previous due time have all been applied) and delivers what is due
// there; once no timer is due inside the window it finishes. Messages that
// cannot be sent (their function keeps failing, waits for its process, or
// has no endpoint) do not hold the clock: their retries run on the wall
// clock.
#include <fmt/format.h>

#include <algorithm>

#include "runtime/core/time_text.h"
#include "runtime/engine/engine.h"

namespace statefun {

void Engine::handle_advance(AdvanceClockEvent& event) {
  if (!m_options.virtual_clock) {
    event.done(make_error(ErrorCode::kFailedPrecondition,
                          "the clock is not virtual: start statefun dev with --clock virtual"));
    return;
  }
  if (m_advance) {
    event.done(make_error(ErrorCode::kFailedPrecondition,
                          "the virtual clock is being advanced already; try again once that "
                          "advance has finished"));
    return;
  }
  const int64_t now = m_options.virtual_clock->now_ms();
  if (!event.until_idle && event.target_ms < now) {
    event.done(make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("virtual time only moves forward: {} is before the current virtual time {}",
                    utc_time_text(event.target_ms), utc_time_text(now))));
    return;
  }
  if (event.until_idle && event.horizon_ms < 0) {
    event.done(make_error(ErrorCode::kInvalidArgument, "the horizon must not be negative"));
    return;
  }
  Advance advance{std::move(event), {}, m_last_step};
  advance.report.from_ms = now;
  m_advance = std::move(advance);
  // fire_due() at the end of this group moves it on.
}

void Engine::continue_advance() {
  // Requests on the wire belong to the current due time: their steps (and
  // the steps those cause) must see it, so the clock waits for them.
  while (m_advance && !stopped() && m_mailboxes.on_wire() == 0) {
    const auto& event = m_advance->event;
    const int64_t now = m_options.virtual_clock->now_ms();
    const auto next = m_timers.next_due_ms();
    const bool due =
        next && (event.until_idle ? *next - now <= event.horizon_ms : *next <= event.target_ms);
    if (!due) {
      if (!event.until_idle) move_virtual_clock(event.target_ms);
      return finish_advance({});
    }
    if (m_advance->report.timers_fired >= m_options.max_timers_per_advance) {
      return finish_advance(make_error(
          ErrorCode::kFailedPrecondition,
          fmt::format("gave up after delivering {} timers in one advance (virtual time is now "
                      "{}): a timer keeps rescheduling itself inside the window; advance by a "
                      "shorter duration",
                      m_advance->report.timers_fired, utc_time_text(now))));
    }
    // Never backwards: a timer already overdue (a recovered one, or one
    // scheduled with no delay) is delivered at the current time.
    move_virtual_clock(std::max(now, *next));
    m_advance->report.timers_fired += fire_due_timers();
  }
}

void Engine::move_virtual_clock(int64_t to_ms) {
  m_options.virtual_clock->set_ms(to_ms);
  // In the commit of the steps that see it: a restart resumes here, and
  // offline readers (statefun state get --offline) see this time.
  if (!ensure_transaction()) return;
  if (auto r = m_options.store->set_virtual_now(to_ms); !r) fatal(r.error());
}

Result<void> Engine::record_clock_mode() {
  auto& store = *m_options.store;
  if (m_options.virtual_clock) {
    if (auto r = store.begin(); !r) return r;
    return store.set_virtual_now(m_options.virtual_clock->now_ms());
  }
  // A wall-clock run: the recorded virtual time no longer tells the
  // application's time (written only when there is one to remove).
  auto recorded = store.virtual_now();
  if (!recorded) return std::unexpected(recorded.error());
  if (!*recorded) return {};
  if (auto r = store.begin(); !r) return r;
  return store.set_virtual_now(std::nullopt);
}

void Engine::finish_advance(Result<void> outcome) {
  Advance advance = std::move(*m_advance);
  m_advance.reset();
  if (!outcome) {
    advance.event.done(std::unexpected(outcome.error()));
    return;
  }
  ClockAdvance report = advance.report;
  report.to_ms = m_options.virtual_clock->now_ms();
  report.steps = m_last_step - advance.first_step;
  report.next_timer_ms = m_timers.next_due_ms();
  // Answered after the commit, so what the caller reads next includes
  // every step the advance caused.
  m_after_commit.push_back([done = std::move(advance.event.done), report](const Error* error) {
    error ? done(std::unexpected(*error)) : done(report);
  });
}

}  // namespace statefun
