#include "runtime/engine/replay_simulator.h"

#include <fmt/format.h>

#include <future>

#include "runtime/engine/response_check.h"
#include "runtime/protocol/codec.h"

namespace statefun {
namespace {

CallOutcome call_and_wait(FunctionClient& client, const FunctionRoute& route, std::string body) {
  std::promise<CallOutcome> done;
  auto future = done.get_future();
  client.call(route.url, std::move(body), route.call,
              [&done](CallOutcome outcome) { done.set_value(std::move(outcome)); });
  return future.get();
}

}  // namespace

Result<SimulationResult> simulate_replay(FunctionClient& client, const SimulationInput& input) {
  SimulationResult result;
  result.final_state = input.start;
  std::vector<StateSpec> specs;
  std::set<std::string> pending_tokens = input.pending_tokens;
  auto find_spec = [&specs](const std::string& name) -> const StateSpec* {
    for (const auto& spec : specs) {
      if (spec.name == name) return &spec;
    }
    return nullptr;
  };
  ResponseContext context;
  context.find_state = find_spec;
  context.token_pending = [&pending_tokens](const std::string& token) {
    return pending_tokens.contains(token);
  };
  context.route_egress = &input.route_egress;
  constexpr int kMaxHandshakes = 8;
  for (std::size_t index = 0; index < input.invocations.size(); ++index) {
    int handshakes = 0;
    for (;;) {
      BatchRequest request{input.address, {}, {input.invocations[index]}};
      for (const auto& spec : specs) {
        StateEntry entry{spec.name, std::nullopt};
        if (auto it = result.final_state.find(spec.name); it != result.final_state.end()) {
          entry.value = TypedValue{spec.type_name, true, it->second.value};
        }
        request.states.push_back(std::move(entry));
      }
      ++result.requests;
      auto outcome = call_and_wait(client, input.route, codec::encode_request(request));
      auto fail = [&](const std::string& why) {
        return make_error(ErrorCode::kFailedPrecondition,
                          fmt::format("replaying message {} of {}: {}", index + 1,
                                      input.invocations.size(), why));
      };
      if (!outcome.ok) return fail(outcome.error.message);
      auto response = codec::decode_response(outcome.body);
      if (!response) return fail(response.error().message);
      if (auto* incomplete = std::get_if<IncompleteContext>(&*response)) {
        if (++handshakes > kMaxHandshakes) {
          return fail("the function keeps answering IncompleteInvocationContext");
        }
        for (auto& spec : incomplete->missing) {
          const StateSpec* known = find_spec(spec.name);
          if (auto problem = check_declared_state(known, spec)) return fail(*problem);
          if (!known) specs.push_back(std::move(spec));
        }
        continue;
      }
      auto& invocation = std::get<InvocationResult>(*response);
      std::vector<RoutedEgress> routed;
      if (auto problem = check_response(input.address, invocation, context, routed)) {
        return fail(*problem);
      }
      for (const auto& delayed : invocation.delayed) {
        if (delayed.cancellation_token.empty()) continue;
        if (delayed.is_cancellation) {
          pending_tokens.erase(delayed.cancellation_token);
        } else {
          pending_tokens.insert(delayed.cancellation_token);
        }
      }
      for (auto& mutation : invocation.mutations) {
        if (mutation.kind == MutationKind::kModify) {
          result.final_state[mutation.name] = mutation.value;
        } else {
          result.final_state.erase(mutation.name);
        }
      }
      for (auto& m : invocation.messages) result.messages.push_back(std::move(m));
      for (auto& d : invocation.delayed) result.delayed.push_back(std::move(d));
      for (auto& e : invocation.egress) result.egress.push_back(std::move(e));
      break;
    }
  }
  result.changes = time_travel::diff(input.current, result.final_state);
  return result;
}

}  // namespace statefun
