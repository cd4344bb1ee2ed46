#include "runtime/engine/response_check.h"

#include <fmt/format.h>

#include <set>

namespace statefun {

std::optional<std::string> check_response(const Address& address, const InvocationResult& result,
                                          const ResponseContext& context,
                                          std::vector<RoutedEgress>& routed) {
  // Tokens scheduled earlier in this same response also count as pending.
  std::set<std::string> tokens_added, tokens_cancelled;
  for (const auto& delayed : result.delayed) {
    if (delayed.is_cancellation) {
      if (delayed.cancellation_token.empty()) {
        return "a delayed-message cancellation has no cancellation token";
      }
      tokens_cancelled.insert(delayed.cancellation_token);
      tokens_added.erase(delayed.cancellation_token);
      continue;
    }
    if (delayed.delay_ms < 0) {
      return fmt::format("delayed message to {} has a negative delay ({} ms)", delayed.target.str(),
                         delayed.delay_ms);
    }
    if (delayed.target.type.ns.empty() || delayed.target.type.name.empty()) {
      return "a delayed message has no target address";
    }
    if (!delayed.cancellation_token.empty()) {
      const auto& token = delayed.cancellation_token;
      const bool pending_before = context.token_pending(token) && !tokens_cancelled.contains(token);
      if (pending_before || tokens_added.contains(token)) {
        return fmt::format(
            "a delayed message with cancellation token '{}' is already pending "
            "for id '{}'",
            token, address.id);
      }
      tokens_added.insert(token);
    }
  }
  for (const auto& message : result.messages) {
    if (message.target.type.ns.empty() || message.target.type.name.empty()) {
      return "an outgoing message has no target address";
    }
  }
  routed.clear();
  routed.reserve(result.egress.size());
  for (const auto& egress : result.egress) {
    auto r = (*context.route_egress)(egress);
    if (!r) return r.error().message;
    routed.push_back(std::move(*r));
  }
  for (const auto& mutation : result.mutations) {
    const StateSpec* spec = context.find_state(mutation.name);
    if (!spec) return fmt::format("mutation of unregistered state '{}'", mutation.name);
    if (mutation.kind == MutationKind::kUnknown) {
      return fmt::format("mutation of state '{}' has an unknown mutation type", mutation.name);
    }
    if (mutation.kind == MutationKind::kModify && mutation.value.type_name != spec->type_name) {
      return fmt::format("state '{}' is registered as {} but was written as {}", mutation.name,
                         spec->type_name, mutation.value.type_name);
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_declared_state(const StateSpec* registered,
                                                const StateSpec& declared) {
  if (registered) {
    if (registered->type_name != declared.type_name) {
      return fmt::format("state '{}' was registered as {} and is now declared as {}", declared.name,
                         registered->type_name, declared.type_name);
    }
    return std::nullopt;  // a different expiration is ignored, as on a real cluster
  }
  if (declared.expire_mode == ExpireMode::kUnknown ||
      (declared.expire_mode != ExpireMode::kNone && declared.expire_after_ms <= 0)) {
    return fmt::format("state '{}' has an invalid expiration (mode {}, {} ms)", declared.name,
                       static_cast<int>(declared.expire_mode), declared.expire_after_ms);
  }
  return std::nullopt;
}

}  // namespace statefun
