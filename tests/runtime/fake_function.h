// An in-process stand-in for a function process: decodes each request the
// dispatcher sends, lets the test answer it (now or later), and records
// every request for inspection. Also a small stateful counter function.
#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <thread>

#include "runtime/engine/dispatcher.h"
#include "runtime/protocol/codec.h"
#include "runtime/protocol/well_known_types.h"

namespace statefun::test {

class FakeFunction final : public FunctionClient {
 public:
  using Handler = std::function<CallOutcome(const BatchRequest&)>;

  explicit FakeFunction(Handler handler) : m_handler(std::move(handler)) {}

  void call(const std::string&, std::string body, const CallOptions&,
            std::function<void(CallOutcome)> done) override {
    auto request = codec::decode_request(body);
    std::unique_lock lock(m_mutex);
    m_requests.push_back(*request);
    if (m_hold) {
      m_held.push_back({*request, std::move(done)});
      return;
    }
    auto handler = m_handler;
    lock.unlock();
    done(handler(*request));
  }
  void shutdown() override {}

  // While held, requests wait until release() answers them.
  void hold(bool on) {
    std::lock_guard lock(m_mutex);
    m_hold = on;
  }
  std::size_t held() {
    std::lock_guard lock(m_mutex);
    return m_held.size();
  }
  void release() {
    std::deque<std::pair<BatchRequest, std::function<void(CallOutcome)>>> calls;
    {
      std::lock_guard lock(m_mutex);
      calls.swap(m_held);
    }
    for (auto& [request, done] : calls) done(m_handler(request));
  }
  std::vector<BatchRequest> requests() {
    std::lock_guard lock(m_mutex);
    return m_requests;
  }
  void set_handler(Handler handler) {
    std::lock_guard lock(m_mutex);
    m_handler = std::move(handler);
  }

 private:
  std::mutex m_mutex;
  Handler m_handler;
  bool m_hold = false;
  std::vector<BatchRequest> m_requests;
  std::deque<std::pair<BatchRequest, std::function<void(CallOutcome)>>> m_held;
};

inline CallOutcome answer(const FunctionResponse& response) {
  return CallOutcome{true, codec::encode_response(response), {}};
}

inline CallOutcome failure(std::string message) {
  return CallOutcome{false, {}, {CallErrorKind::kHttpStatus, 500, std::move(message)}};
}

// A function with one int state `count` that adds each int message to it.
inline FunctionResponse counter(const BatchRequest& request, ExpireMode mode = ExpireMode::kNone,
                                int64_t ttl_ms = 0) {
  const StateEntry* state = nullptr;
  for (const auto& entry : request.states) {
    if (entry.name == "count") state = &entry;
  }
  if (!state) return IncompleteContext{{{"count", "io.statefun.types/int", mode, ttl_ms}}};
  int32_t count = state->value ? *types::decode_int(state->value->value) : 0;
  for (const auto& invocation : request.invocations) {
    count += types::decode_int(invocation.argument.value).value_or(1);
  }
  InvocationResult result;
  result.mutations.push_back(
      {MutationKind::kModify, "count", {"io.statefun.types/int", true, types::encode_int(count)}});
  return result;
}

// Polls until nothing is pending or in flight; false on timeout.
inline bool wait_idle(Dispatcher& dispatcher,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto s = dispatcher.status();
    if (s.pending == 0 && s.in_flight == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

}  // namespace statefun::test
