// The StateFun playground greeter, written with the C++ SDK
// (runtime/sdk/statefun_sdk.h). Same behaviour as ../greeter/functions.js:
//
//   example/person  remembers how often each person visited (state `visits`)
//                   and asks example/greeter to greet them.
//   example/greeter turns a visit count into a greeting and publishes it on
//                   the playground egress topic `greetings`.
//
// Listens on PORT (default 8000) on all interfaces, or on HOST if set; every
// path answers, so module.yaml may use any URL on this port (/statefun here).
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "runtime/sdk/statefun_sdk.h"

namespace sf = statefun::sdk;

namespace {

// Must match the ingress request's Content-Type
// (application/vnd.example/GreetRequest).
const auto kGreetRequest = sf::types::Json("example/GreetRequest");
const auto kVisits = sf::ValueSpec<int32_t>("visits", sf::types::Int);

void person(sf::Context& context, const sf::Message& message) {
  const auto name = message.as(kGreetRequest).at("name").get<std::string>();
  // An absent state (the first visit) reads as nullopt.
  const int32_t visits = context.storage().get(kVisits).value_or(0) + 1;
  context.storage().set(kVisits, visits);

  context.send(sf::message_to(sf::address("example/greeter", name), kGreetRequest,
                              {{"name", name}, {"visits", visits}}));
}

std::string greeting_for(const std::string& name, int visits) {
  switch (visits) {
    case 1:
      return "Hello " + name + "! Nice to meet you.";
    case 2:
      return "Hello " + name + "! Good to see you again.";
    case 3:
      return "Hello " + name + "! Third time here, welcome back.";
    default:
      return "Hello " + name + "! This is visit number " + std::to_string(visits) +
             ", you must like it here.";
  }
}

void greeter(sf::Context& context, const sf::Message& message) {
  const nlohmann::json request = message.as(kGreetRequest);
  const auto name = request.at("name").get<std::string>();
  const auto visits = request.at("visits").get<int>();
  context.send_egress(sf::playground_egress("greetings", greeting_for(name, visits)));
}

std::string env_or(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : std::move(fallback);
}

}  // namespace

int main() {
  sf::Functions functions;
  functions.bind("example/person", {kVisits}, person);
  functions.bind("example/greeter", greeter);

  sf::ServeOptions options;
  options.host = env_or("HOST", "0.0.0.0");
  try {
    options.port = std::stoi(env_or("PORT", "8000"));
    sf::Server server(functions, options);
    server.start();
    std::printf("greeter functions listening on %s:%d\n", options.host.c_str(), server.port());
    std::fflush(stdout);
    server.wait();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "greeter-cpp: %s\n", error.what());
    return 1;
  }
}
