// An in-process stand-in for a function process: decodes each request the
// engine sends and records it, then answers it with the test's handler at
// once, or holds it until the test completes it (with the handler, or with
// an outcome of its choice). No thread of its own: an answer is given on the
// thread that makes the call or completes it. Also a small stateful counter
// function.
#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "runtime/client/function_client.h"
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

  // While held, requests wait until the test completes them.
  void hold(bool on) {
    std::lock_guard lock(m_mutex);
    m_hold = on;
  }
  std::size_t held() {
    std::lock_guard lock(m_mutex);
    return m_held.size();
  }
  // Answers every held request with the handler, oldest first.
  void release() {
    std::deque<Held> calls;
    Handler handler;
    {
      std::lock_guard lock(m_mutex);
      calls.swap(m_held);
      handler = m_handler;
    }
    for (auto& call : calls) call.done(handler(call.request));
  }
  // Answers the oldest held request with `outcome`; false when none is held.
  bool complete_next(CallOutcome outcome) {
    Held call;
    {
      std::lock_guard lock(m_mutex);
      if (m_held.empty()) return false;
      call = std::move(m_held.front());
      m_held.pop_front();
    }
    call.done(std::move(outcome));
    return true;
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
  struct Held {
    BatchRequest request;
    std::function<void(CallOutcome)> done;
  };
  std::mutex m_mutex;
  Handler m_handler;
  bool m_hold = false;
  std::vector<BatchRequest> m_requests;
  std::deque<Held> m_held;
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

}  // namespace statefun::test
