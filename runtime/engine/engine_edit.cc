// Admin edits of one address (state set/remove, rewind): run between two of
// its steps, each as a step of its own inside a savepoint.
#include <fmt/format.h>

#include "runtime/engine/engine.h"

namespace statefun {
namespace {

class Edit final : public AddressEdit {
 public:
  Edit(Store& store, const Address& address, const TypeRegistry* registry, int64_t now,
       StateCause cause)
      : m_store(store), m_address(address), m_registry(registry), m_now(now), m_cause(cause) {}

  const Address& address() const override { return m_address; }
  int64_t now_ms() const override { return m_now; }
  const std::vector<StateSpec>& registered() const override {
    static const std::vector<StateSpec> kNone;
    return m_registry ? m_registry->specs : kNone;
  }

  Result<std::vector<StoredState>> states() override {
    auto rows = m_store.read_states(m_address);
    if (!rows) return rows;
    std::erase_if(*rows, [this](const StoredState& s) {
      return s.expires_at_ms && m_now >= *s.expires_at_ms;
    });
    return rows;
  }

  Result<std::vector<HistoryRow>> history() override { return m_store.read_history(m_address); }
  Result<int64_t> history_floor() override { return m_store.history_floor(m_address); }
  Result<int64_t> pruned_through_step() override { return m_store.pruned_through_step(); }

  Result<std::vector<InboxMessage>> received_since(int64_t step) override {
    return m_store.read_received(m_address, step);
  }

  void redeliver(std::vector<InboxMessage> messages) override {
    for (auto& m : messages) redelivered.push_back(std::move(m));
  }

  Result<void> write(const std::string& name, const TypedValue& value) override {
    const StateSpec* spec = m_registry ? m_registry->find(name) : nullptr;
    if (spec && spec->type_name != value.type_name) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("state '{}' of {} is registered as {}, not {}", name,
                                    m_address.type.str(), spec->type_name, value.type_name));
    }
    std::optional<int64_t> expires_at;
    if (spec && spec->expire_mode != ExpireMode::kNone) expires_at = m_now + spec->expire_after_ms;
    if (auto r = m_store.write_state(m_address, name, value, expires_at, m_cause); !r) return r;
    changed.push_back(name);
    return {};
  }

  Result<void> remove(const std::string& name) override {
    if (auto r = m_store.delete_state(m_address, name, m_cause); !r) return r;
    changed.push_back(name);
    return {};
  }

  std::vector<std::string> changed;
  std::vector<InboxMessage> redelivered;

 private:
  Store& m_store;
  const Address& m_address;
  const TypeRegistry* m_registry;
  int64_t m_now;
  StateCause m_cause;
};

// What an edit did, for the console and the trace: "state set: visits",
// "rewind: visits, seen", "replay: 3 messages delivered again".
std::string edit_note(const std::string& label, const std::vector<std::string>& changed,
                      std::size_t redelivered) {
  std::string what = label.starts_with("statefun/") ? label.substr(9) : label;
  if (what == "state-set") what = "state set";
  if (what == "state-rm") what = "state rm";
  std::string note = what;
  for (std::size_t i = 0; i < changed.size(); ++i) note += (i == 0 ? ": " : ", ") + changed[i];
  if (redelivered > 0) {
    note += fmt::format("{}{} {} delivered again", changed.empty() ? ": " : "; ", redelivered,
                        redelivered == 1 ? "message" : "messages");
  }
  return note;
}

}  // namespace

void Engine::handle_edit(EditEvent& event) {
  auto& box = m_mailboxes.open(event.address);
  if (box.on_wire) {
    box.edits.push_back(std::move(event));
    return;
  }
  run_edit(event.address, event);
  m_mailboxes.release_if_idle(event.address);
}

void Engine::run_pending_edits(const Address& address, Mailbox& box) {
  while (!box.edits.empty()) {
    EditEvent event = std::move(box.edits.front());
    box.edits.erase(box.edits.begin());
    run_edit(address, event);
  }
  while (!box.inbox_ops.empty() && !box.on_wire) {
    InboxOpEvent op = std::move(box.inbox_ops.front());
    box.inbox_ops.erase(box.inbox_ops.begin());
    run_inbox_op(address, box, op);
  }
}

void Engine::run_edit(const Address& address, EditEvent& event) {
  auto& store = *m_options.store;
  if (!ensure_transaction()) {
    event.done(make_error(ErrorCode::kIo, "the state database is unavailable"));
    return;
  }
  if (auto r = store.savepoint(); !r) {
    event.done(std::unexpected(r.error()));
    return;
  }
  const int64_t now = m_options.clock->now_ms();
  const int64_t step = m_last_step + 1;
  auto registry = m_registries.find(address.type);
  Edit edit(store, address, registry == m_registries.end() ? nullptr : &registry->second, now,
            StateCause{step, now, event.label, std::nullopt});
  auto result = event.edit(edit);
  // An edit that changed nothing (a dry run, a rewind to the current state)
  // leaves no step behind: the database stays byte-identical.
  const bool changed = !edit.changed.empty() || !edit.redelivered.empty();
  TraceRecord trace;
  if (result && changed) {
    trace = TraceRecord{step,
                        now,
                        address,
                        0,
                        event.label,
                        0,
                        edit.changed,
                        0,
                        0,
                        0,
                        edit_note(event.label, edit.changed, edit.redelivered.size())};
    result = store.append_trace(trace);
  }
  if (!result) {
    (void)store.rollback_savepoint();
    event.done(std::unexpected(result.error()));
    return;
  }
  if (auto r = store.release_savepoint(); !r) {
    fatal(r.error());
    event.done(std::unexpected(r.error()));
    return;
  }
  if (changed) {
    m_last_step = step;
    if (m_options.observer) m_options.observer->on_step(trace);
  }
  for (auto& message : edit.redelivered) {
    InboxMessage copy{
        0, address, std::move(message.caller), std::move(message.argument), message.source, now};
    if (auto r = enqueue_new(std::move(copy)); !r) {
      event.done(std::unexpected(r.error()));
      return;
    }
  }
  m_after_commit.push_back([done = std::move(event.done)](const Error* error) {
    error ? done(std::unexpected(*error)) : done({});
  });
}

}  // namespace statefun
