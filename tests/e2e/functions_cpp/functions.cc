// See functions.h; the function list is documented in ../functions/functions.js.
#include "tests/e2e/functions_cpp/functions.h"

#include <stdexcept>
#include <thread>

namespace e2e {
namespace sf = statefun::sdk;
namespace {

// Tests send raw UTF-8 as `e2e/text` or JSON as `e2e/json`; the ingress
// passes the bytes through as they are.
const auto kText = sf::types::Raw("e2e/text");
const auto kJson = sf::types::Json("e2e/json");

const auto kCount = sf::ValueSpec<int32_t>("count", sf::types::Int);
const auto kSeen = sf::ValueSpec<int32_t>("seen", sf::types::Int);
const auto kGreeting = sf::ValueSpec<std::string>("greeting", sf::types::String);

// Egress records go to the playground topic `out` as JSON text.
void emit(sf::Context& context, const nlohmann::json& value) {
  context.send_egress(sf::playground_egress("out", value.dump()));
}

template <typename T>
nlohmann::json or_null(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json address_or_null(const std::optional<sf::Address>& address) {
  return address ? nlohmann::json(address->str()) : nlohmann::json(nullptr);
}

sf::OutgoingMessage to_reporter(const sf::Context& context, const std::string& text) {
  return sf::message_to(sf::address("e2e/reporter", context.self().id), kText, text);
}

void counter(sf::Context& context, const sf::Message&) {
  context.storage().set(kCount, context.storage().get(kCount).value_or(0) + 1);
}

void stateful(sf::Context& context, const sf::Message&) {
  const auto seen = context.storage().get(kSeen);
  const auto greeting = context.storage().get(kGreeting);
  emit(context,
       {{"id", context.self().id}, {"seen", or_null(seen)}, {"greeting", or_null(greeting)}});
  context.storage().set(kSeen, seen.value_or(0) + 1);
  context.storage().set(kGreeting, "hi " + context.self().id);
}

void scheduler(sf::Context& context, const sf::Message& message) {
  const nlohmann::json command = message.as(kJson);
  const std::string op = command.value("op", "");
  if (op == "after") {
    const auto delay = std::chrono::milliseconds(command.at("delay").get<int64_t>());
    auto reminder = to_reporter(context, command.at("tag").get<std::string>());
    if (command.contains("token")) {
      context.send_after(delay, std::move(reminder), command.at("token").get<std::string>());
    } else {
      context.send_after(delay, std::move(reminder));
    }
  } else if (op == "cancel") {
    context.cancel_delayed_message(command.at("token").get<std::string>());
  } else {
    throw std::invalid_argument("unknown scheduler op " + op);
  }
}

void forwarder(sf::Context& context, const sf::Message& message) {
  context.send(to_reporter(context, message.as(kText)));
}

void reporter(sf::Context& context, const sf::Message& message) {
  emit(context, {{"self", context.self().str()},
                 {"caller", address_or_null(context.caller())},
                 {"text", message.as(kText)}});
}

}  // namespace

void Recorder::record(const std::string& id, std::string text) {
  std::lock_guard lock(m_mutex);
  m_seen[id].push_back(std::move(text));
}

nlohmann::json Recorder::to_json() const {
  std::lock_guard lock(m_mutex);
  return m_seen;
}

void bind_all(sf::Functions& functions, const FunctionOptions& options, Recorder& recorder) {
  functions.bind("e2e/counter", {kCount}, counter);
  functions.bind("e2e/slow", [&recorder, slow = options.slow](sf::Context& context,
                                                              const sf::Message& message) {
    std::this_thread::sleep_for(slow);
    recorder.record(context.self().id, message.as(kText));
  });
  functions.bind("e2e/stateful", {kSeen, kGreeting}, stateful);
  functions.bind("e2e/scheduler", scheduler);
  functions.bind("e2e/forwarder", forwarder);
  functions.bind("e2e/reporter", reporter);

  const auto value =
      sf::ValueSpec<std::string>("v", sf::types::String).expire_after_write(options.ttl);
  functions.bind("e2e/ttl", {value}, [value](sf::Context& context, const sf::Message& message) {
    const nlohmann::json command = message.as(kJson);
    const std::string op = command.value("op", "");
    if (op == "write") {
      context.storage().set(value, command.at("value").get<std::string>());
    } else if (op == "read") {
      emit(context, {{"seen", or_null(context.storage().get(value))}});
    } else {
      throw std::invalid_argument("unknown ttl op " + op);
    }
  });
}

}  // namespace e2e
