// The engine thread: it owns the Engine, drives the event loop, and hands
// the events other threads post to the Engine in bounded groups.
#include "runtime/engine/dispatcher.h"

#include <algorithm>
#include <thread>

#include "runtime/core/thread_annotations.h"
#include "runtime/engine/engine.h"

namespace statefun {

class Dispatcher::Impl {
 public:
  explicit Impl(DispatcherOptions options);

  Result<void> start();
  void stop() STATEFUN_EXCLUDES(m_mutex);
  void post(Event event) STATEFUN_EXCLUDES(m_mutex);  // any thread; refused once stopping
  DispatcherStatus status() const STATEFUN_EXCLUDES(m_mutex);

 private:
  static EngineOptions engine_options(const DispatcherOptions& options, Impl& self);
  void run() STATEFUN_EXCLUDES(m_mutex);
  // How long the loop may sleep: until the engine's next due time, not at
  // all when events wait; nullopt: until woken.
  std::optional<std::chrono::milliseconds> max_wait() STATEFUN_EXCLUDES(m_mutex);

  mutable Mutex m_mutex;
  std::vector<Event> m_events STATEFUN_GUARDED_BY(m_mutex);
  bool m_stop_requested STATEFUN_GUARDED_BY(m_mutex) = false;
  DispatcherStatus m_status STATEFUN_GUARDED_BY(m_mutex);  // as of the last commit

  const Clock* m_wall_clock;  // what next_due_ms() is measured on
  const std::size_t m_max_events_per_commit;
  std::unique_ptr<net::EventLoop> m_own_loop;  // when the options bring none
  net::EventLoop* m_loop;                      // what the engine thread waits on
  // The engine thread's alone once it runs (start() loads it before).
  Engine m_engine;
  std::thread m_thread;
};

namespace {
const Error kShuttingDown{ErrorCode::kUnavailable, "statefun dev is shutting down"};
}  // namespace

EngineOptions Dispatcher::Impl::engine_options(const DispatcherOptions& options, Impl& self) {
  EngineOptions engine;
  engine.store = options.store;
  engine.client = options.client;
  engine.clock = options.clock;
  engine.virtual_clock = options.virtual_clock;
  engine.wall_clock = options.wall_clock;
  engine.resolve = options.resolve;
  engine.route_egress = options.route_egress;
  engine.observer = options.observer;
  engine.post = [&self](Event event) { self.post(std::move(event)); };
  engine.publish = [&self](const DispatcherStatus& status) {
    MutexLock lock(self.m_mutex);
    self.m_status = status;
  };
  engine.max_retry_backoff = options.max_retry_backoff;
  engine.max_handshakes = options.max_handshakes;
  engine.retry = options.retry;
  engine.retention_age_ms = options.retention_age_ms;
  engine.retention_bytes = options.retention_bytes;
  engine.closed_gates = options.closed_gates;
  engine.call_output = options.call_output;
  engine.on_gate_waiting = options.on_gate_waiting;
  return engine;
}

Dispatcher::Impl::Impl(DispatcherOptions options)
    : m_wall_clock(options.wall_clock ? options.wall_clock : options.clock),
      m_max_events_per_commit(static_cast<std::size_t>(std::max(1, options.max_events_per_commit))),
      m_own_loop(options.loop ? nullptr : std::make_unique<net::EventLoop>()),
      m_loop(options.loop ? options.loop : m_own_loop.get()),
      m_engine(engine_options(options, *this)) {}

Result<void> Dispatcher::Impl::start() {
  if (auto r = m_engine.load(); !r) return r;
  m_thread = std::thread([this] { run(); });
  return {};
}

void Dispatcher::Impl::stop() {
  {
    MutexLock lock(m_mutex);
    if (m_stop_requested && !m_thread.joinable()) return;
    m_stop_requested = true;
  }
  m_loop->wake();
  if (m_thread.joinable()) m_thread.join();
}

void Dispatcher::Impl::post(Event event) {
  {
    MutexLock lock(m_mutex);
    if (!m_stop_requested) {
      m_events.push_back(std::move(event));
      m_loop->wake();  // free on the engine thread, which is awake
      return;
    }
  }
  refuse(event, kShuttingDown);
}

DispatcherStatus Dispatcher::Impl::status() const {
  MutexLock lock(m_mutex);
  return m_status;
}

std::optional<std::chrono::milliseconds> Dispatcher::Impl::max_wait() {
  {
    MutexLock lock(m_mutex);
    if (!m_events.empty()) return std::chrono::milliseconds(0);
  }
  const auto due = m_engine.next_due_ms();
  if (!due) return std::nullopt;
  return std::chrono::milliseconds(std::max<int64_t>(0, *due - m_wall_clock->now_ms()));
}

void Dispatcher::Impl::run() {
  m_engine.send_ready();  // what start() loaded
  std::vector<Event> events;
  for (;;) {
    {
      MutexLock lock(m_mutex);
      if (m_stop_requested) break;
    }
    // Sleep until I/O, a posted event or the engine's next due time; wake()
    // ends the wait early.
    m_loop->wait(max_wait());
    // Servers and the function client run here; what they learn arrives as
    // posted events, handled in this same group.
    m_loop->dispatch();
    {
      MutexLock lock(m_mutex);
      if (m_stop_requested) break;
      // Take a bounded group so acknowledgements are never held back long.
      const std::size_t take = std::min(m_events.size(), m_max_events_per_commit);
      events.assign(std::make_move_iterator(m_events.begin()),
                    std::make_move_iterator(m_events.begin() + take));
      m_events.erase(m_events.begin(), m_events.begin() + take);
    }
    for (auto& event : events) m_engine.handle(std::move(event));
    events.clear();
    m_engine.fire_due();
    m_engine.commit_group();
  }
  // Whatever still waits was never committed: refuse it rather than hang.
  // Egress records whose responses were written are consumed in this last
  // commit, so a stop does not serve them again next start.
  {
    MutexLock lock(m_mutex);
    events = std::move(m_events);
    m_events.clear();
  }
  for (auto& event : events) {
    if (std::holds_alternative<SettleEgressEvent>(event)) m_engine.handle(std::move(event));
  }
  m_engine.shutdown();
  for (auto& event : events) refuse(event, kShuttingDown);
}

Dispatcher::Dispatcher(DispatcherOptions options)
    : m_impl(std::make_unique<Impl>(std::move(options))) {}
Dispatcher::~Dispatcher() { stop(); }
Result<void> Dispatcher::start() { return m_impl->start(); }
void Dispatcher::stop() { m_impl->stop(); }
DispatcherStatus Dispatcher::status() const { return m_impl->status(); }

void Dispatcher::accept(InboxMessage message, std::function<void(Result<void>)> done) {
  m_impl->post(AcceptEvent{std::move(message), std::move(done)});
}

void Dispatcher::accept_with_id(InboxMessage message, std::function<void(Result<int64_t>)> done) {
  // Both callbacks run on the engine thread, `accepted` first.
  auto id = std::make_shared<int64_t>(0);
  m_impl->post(AcceptEvent{std::move(message),
                           [id, done = std::move(done)](Result<void> r) {
                             r ? done(*id) : done(std::unexpected(r.error()));
                           },
                           [id](int64_t seq) { *id = seq; }});
}

void Dispatcher::produce(
    TopicRecordRow record, std::vector<InboxMessage> messages,
    std::function<void(Result<std::pair<TopicRecordRow, std::vector<int64_t>>>)> done) {
  m_impl->post(ProduceEvent{std::move(record), std::move(messages), std::move(done)});
}

void Dispatcher::ingest(std::vector<InboxMessage> messages, std::vector<ExternalOffset> offsets,
                        std::function<void(Result<void>)> done) {
  m_impl->post(IngestEvent{std::move(messages), std::move(offsets), std::move(done)});
}

void Dispatcher::pop_egress(std::string topic,
                            std::function<void(Result<std::optional<EgressLease>>)> done) {
  m_impl->post(PopEgressEvent{std::move(topic), std::move(done)});
}

void Dispatcher::settle_egress(int64_t ticket, bool delivered) {
  m_impl->post(SettleEgressEvent{ticket, delivered});
}

void Dispatcher::peek_egress(std::string topic,
                             std::function<void(Result<std::optional<EgressRecord>>)> done) {
  auto unlease = [done = std::move(done)](Result<std::optional<EgressLease>> lease) {
    if (!lease) return done(std::unexpected(lease.error()));
    if (!*lease) return done(std::optional<EgressRecord>());
    done(std::optional<EgressRecord>(std::move((*lease)->record)));
  };
  m_impl->post(PopEgressEvent{std::move(topic), std::move(unlease), /*consume=*/false});
}

void Dispatcher::reroute() { m_impl->post(RerouteEvent{}); }
void Dispatcher::tick() { m_impl->post(TickEvent{}); }

void Dispatcher::advance_clock(int64_t target_ms, bool until_idle, int64_t horizon_ms,
                               std::function<void(Result<ClockAdvance>)> done) {
  m_impl->post(AdvanceClockEvent{target_ms, until_idle, horizon_ms, std::move(done)});
}

void Dispatcher::reconfigure(RouteResolver resolve, EgressRouter route_egress) {
  m_impl->post(ReconfigureEvent{std::move(resolve), std::move(route_egress)});
}

void Dispatcher::set_gate(std::string gate, bool open) {
  m_impl->post(GateEvent{std::move(gate), open, std::nullopt, nullptr});
}

void Dispatcher::close_gate_if_idle(std::string gate, std::chrono::milliseconds idle_for,
                                    std::function<void(bool closed)> closed) {
  m_impl->post(GateEvent{std::move(gate), false, idle_for, std::move(closed)});
}

void Dispatcher::edit_address(Address address, std::string label, AddressEditFn edit,
                              std::function<void(Result<void>)> done) {
  m_impl->post(EditEvent{std::move(address), std::move(label), std::move(edit), std::move(done)});
}

void Dispatcher::restore(StoreSwap swap, std::function<void(Result<void>)> done) {
  m_impl->post(RestoreEvent{std::move(swap), std::move(done)});
}

void Dispatcher::cancel_timer(int64_t id, std::function<void(Result<bool>)> done) {
  m_impl->post(TimerOpEvent{id, false, std::move(done)});
}

void Dispatcher::fire_timer(int64_t id, std::function<void(Result<bool>)> done) {
  m_impl->post(TimerOpEvent{id, true, std::move(done)});
}

void Dispatcher::inbox_op(InboxOp op, std::optional<int64_t> seq, std::optional<Address> address,
                          std::function<void(Result<int64_t>)> done) {
  m_impl->post(InboxOpEvent{op, seq, std::move(address), std::move(done)});
}

void Dispatcher::dead_letter_op(DeadLetterOp op, int64_t id,
                                std::function<void(Result<DeadLetter>, int64_t)> done) {
  m_impl->post(DeadLetterOpEvent{op, id, std::move(done)});
}

}  // namespace statefun
