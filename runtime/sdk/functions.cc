// The request-reply algorithm every official SDK implements
// (docs/sdk-behaviour.md): decode, find the function, ask for
// missing state, run each invocation in order, answer with the net effects.
#include <stdexcept>

#include "runtime/protocol/codec.h"
#include "runtime/sdk/batch.h"
#include "runtime/sdk/statefun_sdk.h"

namespace statefun::sdk {
namespace {

constexpr std::string_view kProtobuf = "application/octet-stream";
constexpr std::string_view kText = "text/plain; charset=utf-8";

HandleResult answer(const FunctionResponse& response) {
  return HandleResult{200, std::string(kProtobuf), codec::encode_response(response)};
}

HandleResult failure(int status, std::string reason) {
  return HandleResult{status, std::string(kText), std::move(reason)};
}

// Presence of the entry is what counts, not has_value: a state the runtime
// registered but has no value for is not missing.
std::vector<StateSpec> missing_specs(const std::vector<StateSpec>& declared,
                                     const std::vector<StateEntry>& received) {
  std::vector<StateSpec> missing;
  for (const StateSpec& spec : declared) {
    bool present = false;
    for (const StateEntry& entry : received) present = present || entry.name == spec.name;
    if (!present) missing.push_back(spec);
  }
  return missing;
}

}  // namespace

Functions& Functions::bind(std::string_view function_type, std::vector<StateSpec> specs,
                           Handler handler) {
  detail::require_typename("function type", function_type);
  if (!handler) {
    throw std::invalid_argument("the handler of " + std::string(function_type) + " is empty");
  }
  for (std::size_t i = 0; i < specs.size(); ++i) {
    detail::require_state_name(specs[i].name);
    detail::require_typename("state type", specs[i].type_name);
    for (std::size_t j = 0; j < i; ++j) {
      if (specs[j].name == specs[i].name) {
        throw std::invalid_argument("state '" + specs[i].name + "' is declared twice for " +
                                    std::string(function_type));
      }
    }
  }
  auto [_, inserted] =
      m_bound.try_emplace(std::string(function_type), Bound{std::move(specs), std::move(handler)});
  if (!inserted) {
    throw std::invalid_argument(std::string(function_type) + " is already bound");
  }
  return *this;
}

HandleResult Functions::handle(std::string_view request_body) const noexcept {
  // Whatever goes wrong becomes a non-2xx answer, which the runtime retries:
  // the batch is never lost and the server never goes down.
  try {
    return handle_batch(request_body);
  } catch (const std::exception& error) {
    const std::string_view reason = error.what();
    return failure(500, reason.empty() ? "the function threw an exception without a message"
                                       : std::string(reason));
  } catch (...) {
    return failure(500, "the function threw something that is not a std::exception");
  }
}

HandleResult Functions::handle_batch(std::string_view request_body) const {
  auto request = codec::decode_request(request_body);
  if (!request) return failure(400, "malformed request: " + request.error().message);

  const auto bound = m_bound.find(request->target.type.str());
  if (bound == m_bound.end()) {
    return failure(500, "unknown function type " + request->target.type.str());
  }
  const auto& [specs, handler] = bound->second;

  if (auto missing = missing_specs(specs, request->states); !missing.empty()) {
    return answer(IncompleteContext{std::move(missing)});
  }

  detail::Batch batch(specs, request->states);
  for (Invocation& invocation : request->invocations) {
    Context context(batch, request->target, invocation.caller);
    const Message message(std::move(invocation.argument));
    handler(context, message);
  }
  return answer(std::move(batch).finish());
}

}  // namespace statefun::sdk
