// Plain value types shared by every runtime module: addresses, typed values,
// and the decoded shapes of one request to and one response from a function.
// No protobuf, SQLite or HTTP types appear here: the codec translates.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace statefun {

// `<namespace>/<name>`: a function type (the typename part of an address).
struct FunctionType {
  std::string ns;
  std::string name;

  std::string str() const { return ns + "/" + name; }
  auto operator<=>(const FunctionType&) const = default;
};

// One function instance: a function type plus an id.
struct Address {
  FunctionType type;
  std::string id;

  std::string str() const { return type.str() + "/" + id; }
  auto operator<=>(const Address&) const = default;
};

// Parses `namespace/type/id` (exactly three non-empty parts; the id may not
// contain '/'). Returns nullopt on any other shape.
std::optional<Address> parse_address(std::string_view text);

// Parses a typename as the SDKs do: split at the last '/', both sides
// non-empty. Returns nullopt otherwise.
std::optional<FunctionType> parse_typename(std::string_view text);

// Every payload on the wire. `has_value` with an empty `value` is a real
// value (int 0, "", false); it is never the same as "absent".
struct TypedValue {
  std::string type_name;
  bool has_value = false;
  std::string value;

  bool operator==(const TypedValue&) const = default;
};

// --- Runtime -> function -------------------------------------------------

struct Invocation {
  std::optional<Address> caller;  // absent for ingress messages
  TypedValue argument;
};

struct StateEntry {
  std::string name;
  std::optional<TypedValue> value;  // absent: never written, deleted or expired
};

struct BatchRequest {
  Address target;
  std::vector<StateEntry> states;
  std::vector<Invocation> invocations;
};

// --- Function -> runtime -------------------------------------------------

enum class MutationKind { kDelete = 0, kModify = 1, kUnknown = -1 };

struct StateMutation {
  MutationKind kind = MutationKind::kDelete;
  std::string name;
  TypedValue value;  // MODIFY only
};

struct OutgoingMessage {
  Address target;
  TypedValue argument;
};

struct DelayedMessage {
  bool is_cancellation = false;
  std::string cancellation_token;  // empty: no token
  int64_t delay_ms = 0;
  Address target;
  TypedValue argument;
};

struct EgressMessage {
  std::string egress_namespace;
  std::string egress_type;
  TypedValue argument;

  std::string egress_id() const { return egress_namespace + "/" + egress_type; }
};

struct InvocationResult {
  std::vector<StateMutation> mutations;
  std::vector<OutgoingMessage> messages;
  std::vector<DelayedMessage> delayed;
  std::vector<EgressMessage> egress;
};

enum class ExpireMode { kNone = 0, kAfterWrite = 1, kAfterInvoke = 2, kUnknown = -1 };

struct StateSpec {
  std::string name;
  std::string type_name;  // empty on the wire is recorded as io.statefun.types/unset
  ExpireMode expire_mode = ExpireMode::kNone;
  int64_t expire_after_ms = 0;

  bool operator==(const StateSpec&) const = default;
};

// The function answered with the state specs it misses.
struct IncompleteContext {
  std::vector<StateSpec> missing;
};

using FunctionResponse = std::variant<InvocationResult, IncompleteContext>;

inline constexpr std::string_view kUnsetTypeName = "io.statefun.types/unset";

}  // namespace statefun
