// {{project}}: the StateFun greeter, written with statefun's C++ SDK
// (its header, runtime/sdk/statefun_sdk.h, says how to use it).
//
//   {{namespace}}/person   counts each person's visits (state `visits`) and
//                        asks {{namespace}}/greeter to greet them.
//   {{namespace}}/greeter  turns a visit count into a greeting on the
//                        playground egress topic `greetings`.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "runtime/sdk/statefun_sdk.h"

namespace sf = statefun::sdk;

namespace {

// Message and state types. An ingress request says which message it carries
// in its Content-Type: application/vnd.{{namespace}}/GreetRequest.
const auto kGreetRequest = sf::types::Json("{{namespace}}/GreetRequest");
const auto kVisits = sf::ValueSpec<int32_t>("visits", sf::types::Int);

void person(sf::Context& context, const sf::Message& message) {
  const auto name = message.as(kGreetRequest).at("name").get<std::string>();
  // A state that was never written reads as nullopt.
  const int32_t visits = context.storage().get(kVisits).value_or(0) + 1;
  context.storage().set(kVisits, visits);
  context.send(sf::message_to(sf::address("{{namespace}}/greeter", name), kGreetRequest,
                              {{"name", name}, {"visits", visits}}));
}

std::string greeting_for(const std::string& name, int visits) {
  if (visits == 1) return "Hello " + name + "! Nice to meet you.";
  if (visits == 2) return "Hello " + name + "! Good to see you again.";
  return "Hello " + name + "! This is visit number " + std::to_string(visits) + ".";
}

void greeter(sf::Context& context, const sf::Message& message) {
  const auto request = message.as(kGreetRequest);
  context.send_egress(sf::playground_egress(
      "greetings", greeting_for(request.at("name").get<std::string>(), request.at("visits"))));
}

}  // namespace

int main() {
  sf::Functions functions;
  functions.bind("{{namespace}}/person", {kVisits}, person);
  functions.bind("{{namespace}}/greeter", greeter);

  // Every path answers: module.yaml uses /statefun. The SDK listens on
  // 127.0.0.1 unless HOST says otherwise (HOST=0.0.0.0 in a container, where
  // the StateFun runtime connects from elsewhere).
  const char* port = std::getenv("PORT");
  try {
    sf::Server server(functions, {.port = port ? std::atoi(port) : 8000});
    server.start();
    const auto& host = server.host();
    std::printf("{{project}} functions listening on %s:%d\n", host.c_str(), server.port());
    std::fflush(stdout);
    server.wait();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "functions: %s\n", error.what());
    return 1;
  }
}
