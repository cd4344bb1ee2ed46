// The StateFun C++ SDK: Apache Flink Stateful Functions (3.x remote functions)
// written in C++. This header is the whole API; read it top to bottom.
//
// WHAT YOU WRITE
//
// A *function* is a handler `void(Context&, const Message&)` bound to a
// function type (`namespace/name`) together with the *state specs* it
// declares. The StateFun runtime (a Flink cluster, or `statefun dev`) calls it
// once per message addressed to `namespace/name/<id>`; the Context gives the
// function its own address, the caller, typed access to the state of that one
// address, and ways to send messages, delayed messages and egress records.
//
//   #include "runtime/sdk/statefun_sdk.h"
//   namespace sf = statefun::sdk;
//
//   const auto kGreetRequest = sf::types::Json("example/GreetRequest");
//   const auto kVisits = sf::ValueSpec<int32_t>("visits", sf::types::Int);
//
//   void person(sf::Context& context, const sf::Message& message) {
//     const nlohmann::json request = message.as(kGreetRequest);
//     const int32_t visits = context.storage().get(kVisits).value_or(0) + 1;
//     context.storage().set(kVisits, visits);
//     const std::string name = request.at("name");
//     context.send(sf::message_to(sf::address("example/greeter", name), kGreetRequest,
//                                 {{"name", name}, {"visits", visits}}));
//   }
//
//   void greeter(sf::Context& context, const sf::Message& message) {
//     const nlohmann::json request = message.as(kGreetRequest);
//     context.send_egress(sf::playground_egress("greetings", "Hello " +
//                                               request.at("name").get<std::string>()));
//   }
//
//   int main() {
//     sf::Functions functions;
//     functions.bind("example/person", {kVisits}, person);
//     functions.bind("example/greeter", greeter);
//     sf::serve(functions, {.port = 8000});  // blocks; module.yaml: http://localhost:8000/statefun
//   }
//
// WHAT THE SDK GUARANTEES (the same as the official Java/Python/Go/JS SDKs)
//
// - State: every declared spec is attached to every request once the runtime
//   knows it. On first contact the SDK answers with the missing specs
//   (IncompleteInvocationContext) and runs no user code; the runtime
//   registers them and re-sends. You never see this handshake.
// - A request carries a batch of messages for one address. They are handled
//   one at a time, in order, sharing one storage: a later message sees the
//   earlier writes. The runtime receives one mutation per state the batch
//   wrote or removed (its final value), nothing for states only read.
// - All effects of a batch (messages, delayed messages, egress, state) are
//   sent back together. If the handler throws, the SDK answers HTTP 500 with
//   the exception text and none of the batch's effects: the runtime retries
//   the whole batch, so no message is ever dropped. Handlers must therefore
//   tolerate being run again for the same message (at-least-once).
// - Threading: the runtime sends at most one request per address at a time.
//   With ServeOptions::threads > 1, different addresses are handled
//   concurrently on pool threads: state needs no locking; your own globals do.
//
// ERRORS
//
// SDK calls throw std::invalid_argument when used wrongly (an undeclared
// state, a malformed typename, a negative delay, an empty cancellation
// token) and std::runtime_error when data does not fit its type (a state or
// message of another typename, bytes that do not decode). Inside a handler
// both simply fail the batch (HTTP 500, retried); outside, they are bugs.
#pragma once

#include <bit>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "runtime/protocol/model.h"

namespace statefun::sdk {

// The plain wire types the SDK shares with the engine (runtime/model.h):
//   Address        {type = {ns, name}, id}; `str()` is "ns/name/id".
//   TypedValue     {type_name, has_value, value bytes}.
//   OutgoingMessage {target, argument}      (built by message_to)
//   EgressMessage  {egress_namespace, egress_type, argument} (built by *_egress)
//   StateSpec      {name, type_name, expire_mode, expire_after_ms} (from ValueSpec)
using statefun::Address;
using statefun::EgressMessage;
using statefun::OutgoingMessage;
using statefun::StateSpec;
using statefun::TypedValue;

// ---------------------------------------------------------------------------
// Types: how a C++ value becomes the bytes of a TypedValue and back
// ---------------------------------------------------------------------------

// A value type: its typename on the wire plus a serializer and a
// deserializer. Copyable and cheap to share; safe to use from any thread.
//
// Build your own for anything not covered by `types::` below:
//   const sf::Type<Point> kPoint("example/Point",
//       [](const Point& p) { return encode(p); },
//       [](std::string_view bytes) { return decode(bytes); });  // throw on bad bytes
template <typename T>
class Type {
 public:
  using Serializer = std::function<std::string(const T&)>;
  using Deserializer = std::function<T(std::string_view)>;

  // REQUIRES: `type_name` is `<namespace>/<name>`, both non-empty
  // (std::invalid_argument otherwise).
  Type(std::string type_name, Serializer serialize, Deserializer deserialize);

  const std::string& type_name() const { return m_type_name; }
  std::string serialize(const T& value) const { return m_serialize(value); }
  // Throws std::runtime_error (or your deserializer's exception) on bad bytes.
  T deserialize(std::string_view bytes) const { return m_deserialize(bytes); }

 private:
  std::string m_type_name;
  Serializer m_serialize;
  Deserializer m_deserialize;
};

// The primitives' codecs (types.cc), declared here for the definitions below.
namespace detail {
std::string encode_int(const int32_t& value);
std::string encode_long(const int64_t& value);
std::string encode_bool(const bool& value);
std::string encode_float(const float& value);
std::string encode_double(const double& value);
std::string encode_string(const std::string& value);
int32_t decode_int(std::string_view bytes);
int64_t decode_long(std::string_view bytes);
bool decode_bool(std::string_view bytes);
float decode_float(std::string_view bytes);
double decode_double(std::string_view bytes);
std::string decode_string(std::string_view bytes);
}  // namespace detail

namespace types {

// The `io.statefun.types/*` primitives, byte-compatible with every official
// SDK (protobuf wrappers; a zero value is zero bytes, still a value).
inline const Type<int32_t> Int{"io.statefun.types/int", detail::encode_int, detail::decode_int};
inline const Type<int64_t> Long{"io.statefun.types/long", detail::encode_long, detail::decode_long};
inline const Type<bool> Bool{"io.statefun.types/bool", detail::encode_bool, detail::decode_bool};
inline const Type<float> Float{"io.statefun.types/float", detail::encode_float,
                               detail::decode_float};
inline const Type<double> Double{"io.statefun.types/double", detail::encode_double,
                                 detail::decode_double};
inline const Type<std::string> String{"io.statefun.types/string", detail::encode_string,
                                      detail::decode_string};

// JSON text (UTF-8, compact, object keys sorted) under a typename you choose,
// e.g. Json("example/GreetRequest"). Reads any JSON text, including Python's
// spacing and Go's trailing newline.
Type<nlohmann::json> Json(std::string type_name);

// Bytes passed through unchanged under a typename you choose: for custom
// encodings, or text sent raw through the playground ingress.
Type<std::string> Raw(std::string type_name);

// A protobuf message type (any class generated by protoc). The typename
// defaults to `type.googleapis.com/<full message name>`, as in the Python and
// Go SDKs.
template <typename Msg>
Type<Msg> Protobuf(std::string type_name = {});

}  // namespace types

// The type used when none is given (message_to, ValueSpec, Message::as<T>):
// int32_t -> Int, int64_t -> Long, bool -> Bool, float -> Float,
// double -> Double, std::string -> String. Other T do not compile.
template <typename T>
const Type<T>& default_type();

// ---------------------------------------------------------------------------
// State specs
// ---------------------------------------------------------------------------

// One persisted value of a function: a name, a type and an optional
// expiration. Declare it once (a global const is fine) and pass it to
// Functions::bind and to Storage.
//
//   const auto kSeen = sf::ValueSpec<int32_t>("seen", sf::types::Int);
//   const auto kToken = sf::ValueSpec<std::string>("token", sf::types::String)
//                           .expire_after_write(std::chrono::minutes(5));
template <typename T>
class ValueSpec {
 public:
  // REQUIRES: `name` is letters, digits and '_', not starting with a digit
  // (as the official SDKs require); std::invalid_argument otherwise.
  ValueSpec(std::string name, Type<T> type);
  // Uses default_type<T>().
  explicit ValueSpec(std::string name) : ValueSpec(std::move(name), default_type<T>()) {}

  // The value disappears `ttl` after it was last written. REQUIRES ttl > 0.
  ValueSpec expire_after_write(std::chrono::milliseconds ttl) const;
  // The value disappears `ttl` after it was last written or after the last
  // request for the address (any message). REQUIRES ttl > 0.
  // A spec has one expiration: the last of these two calls wins.
  ValueSpec expire_after_invoke(std::chrono::milliseconds ttl) const;

  const std::string& name() const { return m_spec.name; }
  const Type<T>& type() const { return m_type; }
  // What the SDK reports to the runtime. The runtime fixes a spec's typename
  // and expiration at first registration (for the life of the job).
  const StateSpec& spec() const { return m_spec; }
  operator StateSpec() const { return m_spec; }  // so `{spec_a, spec_b}` binds

 private:
  StateSpec m_spec;
  Type<T> m_type;
};

// ---------------------------------------------------------------------------
// Incoming messages
// ---------------------------------------------------------------------------

// The message being handled. `as(type)` checks the typename first, so a
// message of another type throws instead of decoding garbage.
class Message {
 public:
  explicit Message(TypedValue value) : m_value(std::move(value)) {}

  const std::string& type_name() const { return m_value.type_name; }
  const std::string& raw_bytes() const { return m_value.value; }
  const TypedValue& typed_value() const { return m_value; }

  template <typename T>
  bool is(const Type<T>& type) const {
    return m_value.type_name == type.type_name();
  }
  // Throws std::runtime_error if !is(type) or the bytes do not decode.
  template <typename T>
  T as(const Type<T>& type) const;

  // The same with default_type<T>(): message.as<int32_t>(), is<std::string>().
  template <typename T>
  bool is() const {
    return is(default_type<T>());
  }
  template <typename T>
  T as() const {
    return as(default_type<T>());
  }

 private:
  TypedValue m_value;
};

// ---------------------------------------------------------------------------
// Outgoing messages
// ---------------------------------------------------------------------------

// Address of `function_type` ("ns/name", split at the last '/') and `id`.
// Throws std::invalid_argument if the typename is malformed or id is empty.
Address address(std::string_view function_type, std::string_view id);

// A message of `type` to `target`:
//   sf::message_to(sf::address("example/greeter", name), kGreetRequest, {{"name", name}})
template <typename T>
OutgoingMessage message_to(const Address& target, const Type<T>& type, const T& value);

// A message with the default type of its value: text (std::string, string
// literals) -> types::String, int32_t -> Int, int64_t -> Long, bool, float,
// double. The same choice the official SDKs make for strings and integers.
template <typename V>
OutgoingMessage message_to(const Address& target, const V& value);

// ---------------------------------------------------------------------------
// Egress records (what each egress kind expects, docs/types.md)
// ---------------------------------------------------------------------------

inline constexpr std::string_view kPlaygroundEgress = "io.statefun.playground/egress";

// A record for the playground egress (`io.statefun.playground/egress`):
// `payload` is appended to `topic`, which must be one of the topics declared
// in module.yaml (otherwise the runtime fails the job).
EgressMessage playground_egress(std::string_view topic, std::string_view payload);

// A record for a Kafka egress (`io.statefun.kafka.v1/egress` with id
// `egress_id`). `value` is the record value as raw bytes; make it with
// egress_bytes(...) or a Type's serialize(). REQUIRES a non-empty topic.
struct KafkaRecord {
  std::string topic;
  std::string key;    // empty: the record has a null key
  std::string value;  // bytes, verbatim
};
EgressMessage kafka_egress(std::string_view egress_id, const KafkaRecord& record);

// A record for a Kinesis egress. REQUIRES non-empty stream and partition key.
struct KinesisRecord {
  std::string stream;
  std::string partition_key;
  std::string value;              // bytes, verbatim
  std::string explicit_hash_key;  // optional
};
EgressMessage kinesis_egress(std::string_view egress_id, const KinesisRecord& record);

// Any other egress (e.g. one of your own): the value with its type.
template <typename T>
EgressMessage egress_message(std::string_view egress_id, const Type<T>& type, const T& value);

// The official SDKs' value encodings for Kafka/Kinesis records given no type:
// text -> its UTF-8 bytes, int32_t -> 4 bytes big-endian, int64_t -> 8 bytes
// big-endian, float/double -> IEEE-754 4/8 bytes big-endian.
//   sf::kafka_egress("example/out", {.topic = "counts", .key = id, .value = sf::egress_bytes(5)})
template <typename V>
std::string egress_bytes(const V& value);

// ---------------------------------------------------------------------------
// The context of one invocation
// ---------------------------------------------------------------------------

namespace detail {
class Batch;  // the effects and state of one request (runtime/sdk/batch.h)
}  // namespace detail

// Typed access to the declared state of the invoked address. Reads see the
// batch's earlier writes. Throws std::invalid_argument for a state the
// function did not declare in bind().
class Storage {
 public:
  // Made by the SDK for each invocation; you get it from Context::storage().
  explicit Storage(detail::Batch& batch) : m_batch(&batch) {}

  // nullopt when the state has no value (never written, removed or expired).
  // Throws std::runtime_error if the stored value has another typename than
  // the spec (the spec's type changed since the runtime registered it).
  template <typename T>
  std::optional<T> get(const ValueSpec<T>& spec) const;
  // The runtime stores `value` when the batch succeeds.
  template <typename T>
  void set(const ValueSpec<T>& spec, const T& value);
  // The runtime deletes the value when the batch succeeds.
  template <typename T>
  void remove(const ValueSpec<T>& spec) {
    erase(spec.name());
  }

 private:
  // The stored bytes, or nullptr when absent.
  const std::string* read(const std::string& name, const std::string& type_name) const;
  void write(const std::string& name, const std::string& type_name, std::string bytes);
  void erase(const std::string& name);

  detail::Batch* m_batch;
};

// Handed to the handler for one message. Valid only during that call.
class Context {
 public:
  // Made by the SDK for each invocation.
  Context(detail::Batch& batch, const Address& self, const std::optional<Address>& caller)
      : m_batch(&batch), m_self(&self), m_caller(&caller), m_storage(batch) {}

  // The address being invoked (its id is what tells instances apart).
  const Address& self() const { return *m_self; }
  // The function that sent this message (also for a fired delayed message:
  // the function that scheduled it); nullopt for messages from an ingress.
  const std::optional<Address>& caller() const { return *m_caller; }
  Storage& storage() { return m_storage; }

  // Delivers `message` after this batch succeeds.
  void send(OutgoingMessage message);
  // Delivers `message` `delay` after this batch succeeds (0 is allowed). With
  // a token, the message can be cancelled until it fires; tokens are scoped
  // by the sender's id, and scheduling a token that is still pending fails
  // the job. Throws std::invalid_argument for a negative delay or an empty token.
  void send_after(std::chrono::milliseconds delay, OutgoingMessage message);
  void send_after(std::chrono::milliseconds delay, OutgoingMessage message,
                  std::string cancellation_token);
  // Cancels the pending delayed message with this token (sent by any function
  // with this id); nothing happens if none is pending. REQUIRES non-empty token.
  void cancel_delayed_message(std::string cancellation_token);
  // Emits `record` to its egress after this batch succeeds.
  void send_egress(EgressMessage record);

 private:
  detail::Batch* m_batch;
  const Address* m_self;
  const std::optional<Address>* m_caller;
  Storage m_storage;
};

// ---------------------------------------------------------------------------
// Functions and serving
// ---------------------------------------------------------------------------

using Handler = std::function<void(Context&, const Message&)>;

// What one request-reply exchange answers: status 200 with a FromFunction
// (application/octet-stream); 400 with a reason (text/plain) when the body is
// not a ToFunction invocation batch; 500 with a reason when the function type
// is unknown or the handler threw. Any non-2xx makes the runtime retry.
struct HandleResult {
  int status = 200;
  std::string content_type;
  std::string body;
};

// The registry of bound functions. Bind everything first, then serve:
// handle() is const and safe to call from many threads at once.
class Functions {
 public:
  // Binds `function_type` ("ns/name") with its state specs. Throws
  // std::invalid_argument for a malformed or already bound type, a duplicate
  // state name or an empty handler.
  Functions& bind(std::string_view function_type, std::vector<StateSpec> specs, Handler handler);
  Functions& bind(std::string_view function_type, Handler handler) {
    return bind(function_type, {}, std::move(handler));
  }

  // Handles one request body (a serialized ToFunction) and never throws:
  // usable without a server, e.g. in tests or behind your own HTTP server.
  HandleResult handle(std::string_view request_body) const noexcept;

 private:
  struct Bound {
    std::vector<StateSpec> specs;
    Handler handler;
  };
  HandleResult handle_batch(std::string_view request_body) const;

  std::unordered_map<std::string, Bound> m_bound;
};

struct ServeOptions {
  // TCP interface and port. Port 0 picks a free one (see Server::port()).
  // An empty host means the HOST environment variable, or 127.0.0.1 when
  // that is unset: only this machine can reach the functions unless you say
  // otherwise (HOST=0.0.0.0 in a container, where the StateFun runtime
  // connects from elsewhere).
  std::string host;
  int port = 8000;
  // Non-empty: listen on this UNIX socket file instead of TCP (a stale socket
  // file left by a killed process is replaced).
  std::string unix_socket_path;
  // Threads that run handlers. One I/O thread serves every connection
  // either way. 1 (the default): handlers run on that thread, like the JS
  // and Python SDKs' event loops; the fastest for handlers that compute and
  // return. N > 1: a pool of N threads, so handlers that block (a database, a
  // sleep) overlap, at the cost of a thread switch per request.
  int threads = 1;
  // Print every failed request (status and reason) to stderr.
  bool log_errors = true;
};

// An HTTP server for `functions`: POST on any path is a request-reply call
// (like the JS SDK's handler); other methods get 405.
class Server {
 public:
  // `functions` must outlive the server.
  Server(const Functions& functions, ServeOptions options);
  ~Server();  // stops
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and serves on a background thread. Throws std::runtime_error if
  // the address cannot be bound.
  void start();
  // The bound TCP port (after start()); 0 for a UNIX socket.
  int port() const;
  // The interface it listens on (ServeOptions::host, resolved).
  const std::string& host() const;
  // Blocks until stop() is called (from another thread).
  void wait();
  // Stops serving and removes the UNIX socket file. Idempotent.
  void stop();

 private:
  class Impl;
  std::unique_ptr<Impl> m_impl;
};

// Serves `functions` until the process ends. Throws std::runtime_error if
// the address cannot be bound.
void serve(const Functions& functions, const ServeOptions& options = {});

// ===========================================================================
// Implementation details: nothing below is needed to use the SDK.
// ===========================================================================

namespace detail {

void require_typename(std::string_view what, std::string_view type_name);
void require_state_name(std::string_view name);
std::chrono::milliseconds require_positive_ttl(std::chrono::milliseconds ttl);
[[noreturn]] void throw_type_mismatch(std::string_view what, std::string_view actual,
                                      std::string_view expected);
[[noreturn]] void throw_undecodable(std::string_view type_name);
EgressMessage make_egress(std::string_view egress_id, TypedValue record);
std::string big_endian(uint64_t bits, int bytes);

template <typename>
inline constexpr bool kAlwaysFalse = false;

template <typename V>
inline constexpr bool kIsText =
    std::is_convertible_v<const V&, std::string_view> && !std::is_same_v<V, std::nullptr_t>;

}  // namespace detail

template <typename T>
Type<T>::Type(std::string type_name, Serializer serialize, Deserializer deserialize)
    : m_type_name(std::move(type_name)),
      m_serialize(std::move(serialize)),
      m_deserialize(std::move(deserialize)) {
  detail::require_typename("type", m_type_name);
}

template <typename Msg>
Type<Msg> types::Protobuf(std::string type_name) {
  if (type_name.empty()) type_name = "type.googleapis.com/" + Msg::default_instance().GetTypeName();
  return Type<Msg>(
      type_name, [](const Msg& message) { return message.SerializeAsString(); },
      [type_name](std::string_view bytes) {
        Msg message;
        if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
          detail::throw_undecodable(type_name);
        }
        return message;
      });
}

template <typename T>
const Type<T>& default_type() {
  if constexpr (std::is_same_v<T, int32_t>) {
    return types::Int;
  } else if constexpr (std::is_same_v<T, int64_t>) {
    return types::Long;
  } else if constexpr (std::is_same_v<T, bool>) {
    return types::Bool;
  } else if constexpr (std::is_same_v<T, float>) {
    return types::Float;
  } else if constexpr (std::is_same_v<T, double>) {
    return types::Double;
  } else if constexpr (std::is_same_v<T, std::string>) {
    return types::String;
  } else {
    static_assert(detail::kAlwaysFalse<T>, "no default type for T: pass a sf::Type");
  }
}

template <typename T>
ValueSpec<T>::ValueSpec(std::string name, Type<T> type) : m_type(std::move(type)) {
  detail::require_state_name(name);
  m_spec.name = std::move(name);
  m_spec.type_name = m_type.type_name();
}

template <typename T>
ValueSpec<T> ValueSpec<T>::expire_after_write(std::chrono::milliseconds ttl) const {
  ValueSpec copy = *this;
  copy.m_spec.expire_mode = ExpireMode::kAfterWrite;
  copy.m_spec.expire_after_ms = detail::require_positive_ttl(ttl).count();
  return copy;
}

template <typename T>
ValueSpec<T> ValueSpec<T>::expire_after_invoke(std::chrono::milliseconds ttl) const {
  ValueSpec copy = *this;
  copy.m_spec.expire_mode = ExpireMode::kAfterInvoke;
  copy.m_spec.expire_after_ms = detail::require_positive_ttl(ttl).count();
  return copy;
}

template <typename T>
T Message::as(const Type<T>& type) const {
  if (!is(type)) detail::throw_type_mismatch("message", m_value.type_name, type.type_name());
  return type.deserialize(m_value.value);
}

template <typename T>
OutgoingMessage message_to(const Address& target, const Type<T>& type, const T& value) {
  return OutgoingMessage{target, TypedValue{type.type_name(), true, type.serialize(value)}};
}

template <typename V>
OutgoingMessage message_to(const Address& target, const V& value) {
  if constexpr (detail::kIsText<V>) {
    return message_to(target, types::String, std::string(std::string_view(value)));
  } else {
    return message_to(target, default_type<V>(), value);
  }
}

template <typename T>
EgressMessage egress_message(std::string_view egress_id, const Type<T>& type, const T& value) {
  return detail::make_egress(egress_id, TypedValue{type.type_name(), true, type.serialize(value)});
}

template <typename V>
std::string egress_bytes(const V& value) {
  if constexpr (detail::kIsText<V>) {
    return std::string(std::string_view(value));
  } else if constexpr (std::is_same_v<V, int32_t>) {
    return detail::big_endian(static_cast<uint32_t>(value), 4);
  } else if constexpr (std::is_same_v<V, int64_t>) {
    return detail::big_endian(static_cast<uint64_t>(value), 8);
  } else if constexpr (std::is_same_v<V, float>) {
    return detail::big_endian(std::bit_cast<uint32_t>(value), 4);
  } else if constexpr (std::is_same_v<V, double>) {
    return detail::big_endian(std::bit_cast<uint64_t>(value), 8);
  } else {
    static_assert(detail::kAlwaysFalse<V>,
                  "egress_bytes takes text, int32_t, int64_t, float or double; "
                  "serialize anything else with a sf::Type");
  }
}

template <typename T>
std::optional<T> Storage::get(const ValueSpec<T>& spec) const {
  const std::string* bytes = read(spec.name(), spec.type().type_name());
  if (bytes == nullptr) return std::nullopt;
  return spec.type().deserialize(*bytes);
}

template <typename T>
void Storage::set(const ValueSpec<T>& spec, const T& value) {
  write(spec.name(), spec.type().type_name(), spec.type().serialize(value));
}

}  // namespace statefun::sdk
