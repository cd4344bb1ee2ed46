// Context: what a handler sends. Everything is collected in the batch and
// reaches the runtime only if the whole batch succeeds.
#include <stdexcept>

#include "runtime/sdk/batch.h"
#include "runtime/sdk/statefun_sdk.h"

namespace statefun::sdk {
namespace {

// Messages built by hand (not with message_to) get the same checks.
void require_valid(const OutgoingMessage& message) {
  detail::require_typename("target function type", message.target.type.str());
  if (message.target.id.empty()) throw std::invalid_argument("the target id is empty");
  detail::require_typename("message type", message.argument.type_name);
}

void require_token(const std::string& token) {
  if (token.empty()) throw std::invalid_argument("a cancellation token must not be empty");
}

}  // namespace

void Context::send(OutgoingMessage message) {
  require_valid(message);
  m_batch->effects().messages.push_back(std::move(message));
}

void Context::send_after(std::chrono::milliseconds delay, OutgoingMessage message) {
  // The runtime fails the whole job on a negative delay; fail the batch instead.
  if (delay.count() < 0) {
    throw std::invalid_argument("a delay must not be negative (got " +
                                std::to_string(delay.count()) + " ms)");
  }
  require_valid(message);
  m_batch->effects().delayed.push_back(DelayedMessage{
      false, "", delay.count(), std::move(message.target), std::move(message.argument)});
}

void Context::send_after(std::chrono::milliseconds delay, OutgoingMessage message,
                         std::string cancellation_token) {
  require_token(cancellation_token);
  send_after(delay, std::move(message));
  m_batch->effects().delayed.back().cancellation_token = std::move(cancellation_token);
}

void Context::cancel_delayed_message(std::string cancellation_token) {
  require_token(cancellation_token);
  DelayedMessage cancellation;
  cancellation.is_cancellation = true;
  cancellation.cancellation_token = std::move(cancellation_token);
  m_batch->effects().delayed.push_back(std::move(cancellation));
}

void Context::send_egress(EgressMessage record) {
  detail::require_typename("egress id", record.egress_id());
  m_batch->effects().egress.push_back(std::move(record));
}

}  // namespace statefun::sdk
