// {{project}}: one function to start from, written with statefun's C++ SDK
// (its header, runtime/sdk/statefun_sdk.h, says how to use it).
//
//   {{namespace}}/hello  counts the messages each id received (state `count`)
//                      and writes a line to the playground egress topic `out`.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "runtime/sdk/statefun_sdk.h"

namespace sf = statefun::sdk;

namespace {

const auto kCount = sf::ValueSpec<int32_t>("count", sf::types::Int);

void hello(sf::Context& context, const sf::Message& /*message*/) {
  // Your code goes here. The message is in `message` (message.as(type)), the
  // id in context.self().id, this id's state in context.storage().
  const int32_t count = context.storage().get(kCount).value_or(0) + 1;
  context.storage().set(kCount, count);
  context.send_egress(sf::playground_egress(
      "out", "hello " + context.self().id + " (message " + std::to_string(count) + ")"));
}

}  // namespace

int main() {
  sf::Functions functions;
  functions.bind("{{namespace}}/hello", {kCount}, hello);

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
