#include "runtime/protocol/codec.h"

#include <google/protobuf/stubs/logging.h>

#include "request_reply.pb.h"

namespace statefun::codec {
namespace pb = io::statefun::sdk::reqreply;

namespace {

// Every failure comes back as a Result with a message of ours. protobuf's
// own "[libprotobuf ERROR ...]" lines on stderr (a string field that is not
// UTF-8, say) would only repeat it, raw, in the middle of the console.
// Installed once, before the first message is encoded or decoded.
[[maybe_unused]] const bool kProtobufQuiet = [] {
  google::protobuf::SetLogHandler(nullptr);
  return true;
}();

void to_pb(const Address& in, pb::Address* out) {
  out->set_namespace_(in.type.ns);
  out->set_type(in.type.name);
  out->set_id(in.id);
}

Address from_pb(const pb::Address& in) { return Address{{in.namespace_(), in.type()}, in.id()}; }

void to_pb(const TypedValue& in, pb::TypedValue* out) {
  out->set_typename_(in.type_name);
  out->set_has_value(in.has_value);
  out->set_value(in.value);
}

TypedValue from_pb(const pb::TypedValue& in) {
  return TypedValue{in.typename_(), in.has_value(), in.value()};
}

MutationKind from_pb(pb::FromFunction::PersistedValueMutation::MutationType type) {
  switch (type) {
    case pb::FromFunction::PersistedValueMutation::DELETE:
      return MutationKind::kDelete;
    case pb::FromFunction::PersistedValueMutation::MODIFY:
      return MutationKind::kModify;
    default:
      return MutationKind::kUnknown;
  }
}

ExpireMode from_pb(pb::FromFunction::ExpirationSpec::ExpireMode mode) {
  switch (mode) {
    case pb::FromFunction::ExpirationSpec::NONE:
      return ExpireMode::kNone;
    case pb::FromFunction::ExpirationSpec::AFTER_WRITE:
      return ExpireMode::kAfterWrite;
    case pb::FromFunction::ExpirationSpec::AFTER_INVOKE:
      return ExpireMode::kAfterInvoke;
    default:
      return ExpireMode::kUnknown;
  }
}

InvocationResult from_pb(const pb::FromFunction::InvocationResponse& in) {
  InvocationResult out;
  out.mutations.reserve(in.state_mutations_size());
  for (const auto& m : in.state_mutations()) {
    out.mutations.push_back({from_pb(m.mutation_type()), m.state_name(), from_pb(m.state_value())});
  }
  out.messages.reserve(in.outgoing_messages_size());
  for (const auto& m : in.outgoing_messages()) {
    out.messages.push_back({from_pb(m.target()), from_pb(m.argument())});
  }
  out.delayed.reserve(in.delayed_invocations_size());
  for (const auto& d : in.delayed_invocations()) {
    out.delayed.push_back({d.is_cancellation_request(), d.cancellation_token(), d.delay_in_ms(),
                           from_pb(d.target()), from_pb(d.argument())});
  }
  out.egress.reserve(in.outgoing_egresses_size());
  for (const auto& e : in.outgoing_egresses()) {
    out.egress.push_back({e.egress_namespace(), e.egress_type(), from_pb(e.argument())});
  }
  return out;
}

IncompleteContext from_pb(const pb::FromFunction::IncompleteInvocationContext& in) {
  IncompleteContext out;
  for (const auto& spec : in.missing_values()) {
    StateSpec s;
    s.name = spec.state_name();
    s.type_name = spec.type_typename().empty() ? std::string(kUnsetTypeName) : spec.type_typename();
    if (spec.has_expiration_spec()) {
      s.expire_mode = from_pb(spec.expiration_spec().mode());
      s.expire_after_ms = spec.expiration_spec().expire_after_millis();
    }
    out.missing.push_back(std::move(s));
  }
  return out;
}

}  // namespace

std::string encode_request(const BatchRequest& request) {
  pb::ToFunction message;
  auto* batch = message.mutable_invocation();
  to_pb(request.target, batch->mutable_target());
  for (const auto& state : request.states) {
    auto* entry = batch->add_state();
    entry->set_state_name(state.name);
    if (state.value) to_pb(*state.value, entry->mutable_state_value());
  }
  for (const auto& invocation : request.invocations) {
    auto* entry = batch->add_invocations();
    if (invocation.caller) to_pb(*invocation.caller, entry->mutable_caller());
    to_pb(invocation.argument, entry->mutable_argument());
  }
  return message.SerializeAsString();
}

Result<FunctionResponse> decode_response(std::string_view bytes) {
  pb::FromFunction message;
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return make_error(ErrorCode::kInvalidArgument, "response is not a FromFunction protobuf (" +
                                                       std::to_string(bytes.size()) + " bytes)");
  }
  // The runtime checks incomplete_invocation_context first.
  if (message.has_incomplete_invocation_context()) {
    return FunctionResponse{from_pb(message.incomplete_invocation_context())};
  }
  if (message.has_invocation_result()) {
    return FunctionResponse{from_pb(message.invocation_result())};
  }
  return FunctionResponse{InvocationResult{}};
}

Result<BatchRequest> decode_request(std::string_view bytes) {
  pb::ToFunction message;
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return make_error(ErrorCode::kInvalidArgument, "request is not a ToFunction protobuf");
  }
  if (!message.has_invocation()) {
    return make_error(ErrorCode::kInvalidArgument, "request has no invocation batch (field 100)");
  }
  const auto& batch = message.invocation();
  BatchRequest out;
  out.target = from_pb(batch.target());
  for (const auto& state : batch.state()) {
    StateEntry entry{state.state_name(), std::nullopt};
    if (state.has_state_value()) entry.value = from_pb(state.state_value());
    out.states.push_back(std::move(entry));
  }
  for (const auto& invocation : batch.invocations()) {
    Invocation entry;
    if (invocation.has_caller()) entry.caller = from_pb(invocation.caller());
    entry.argument = from_pb(invocation.argument());
    out.invocations.push_back(std::move(entry));
  }
  return out;
}

namespace {

// kUnknown (what decoding a value outside the enum gives) is written as -1,
// a value no SDK uses, so it decodes as kUnknown again instead of turning
// into a valid mode (the protocol fuzz target found NONE here).
pb::FromFunction::ExpirationSpec::ExpireMode to_pb(ExpireMode mode) {
  switch (mode) {
    case ExpireMode::kAfterWrite:
      return pb::FromFunction::ExpirationSpec::AFTER_WRITE;
    case ExpireMode::kAfterInvoke:
      return pb::FromFunction::ExpirationSpec::AFTER_INVOKE;
    case ExpireMode::kUnknown:
      return static_cast<pb::FromFunction::ExpirationSpec::ExpireMode>(-1);
    default:
      return pb::FromFunction::ExpirationSpec::NONE;
  }
}

pb::FromFunction::PersistedValueMutation::MutationType to_pb(MutationKind kind) {
  switch (kind) {
    case MutationKind::kModify:
      return pb::FromFunction::PersistedValueMutation::MODIFY;
    case MutationKind::kDelete:
      return pb::FromFunction::PersistedValueMutation::DELETE;
    default:
      return static_cast<pb::FromFunction::PersistedValueMutation::MutationType>(-1);
  }
}

void to_pb(const InvocationResult& in, pb::FromFunction::InvocationResponse* out) {
  for (const auto& m : in.mutations) {
    auto* entry = out->add_state_mutations();
    entry->set_mutation_type(to_pb(m.kind));
    entry->set_state_name(m.name);
    if (m.kind == MutationKind::kModify) to_pb(m.value, entry->mutable_state_value());
  }
  for (const auto& m : in.messages) {
    auto* entry = out->add_outgoing_messages();
    to_pb(m.target, entry->mutable_target());
    to_pb(m.argument, entry->mutable_argument());
  }
  for (const auto& d : in.delayed) {
    auto* entry = out->add_delayed_invocations();
    entry->set_is_cancellation_request(d.is_cancellation);
    entry->set_cancellation_token(d.cancellation_token);
    if (!d.is_cancellation) {
      entry->set_delay_in_ms(d.delay_ms);
      to_pb(d.target, entry->mutable_target());
      to_pb(d.argument, entry->mutable_argument());
    }
  }
  for (const auto& e : in.egress) {
    auto* entry = out->add_outgoing_egresses();
    entry->set_egress_namespace(e.egress_namespace);
    entry->set_egress_type(e.egress_type);
    to_pb(e.argument, entry->mutable_argument());
  }
}

}  // namespace

std::string encode_response(const FunctionResponse& response) {
  pb::FromFunction message;
  if (const auto* incomplete = std::get_if<IncompleteContext>(&response)) {
    auto* context = message.mutable_incomplete_invocation_context();
    for (const auto& spec : incomplete->missing) {
      auto* entry = context->add_missing_values();
      entry->set_state_name(spec.name);
      entry->set_type_typename(spec.type_name);
      if (spec.expire_mode != ExpireMode::kNone) {
        entry->mutable_expiration_spec()->set_mode(to_pb(spec.expire_mode));
        entry->mutable_expiration_spec()->set_expire_after_millis(spec.expire_after_ms);
      }
    }
  } else {
    to_pb(std::get<InvocationResult>(response), message.mutable_invocation_result());
  }
  return message.SerializeAsString();
}

}  // namespace statefun::codec
