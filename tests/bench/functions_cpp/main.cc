// The benchmark functions written with our C++ SDK (the same behaviour as
// tests/bench/functions/bench.js), served on 127.0.0.1:$PORT (default 8000):
//   bench/counter  state `count` (int): adds 1 per message
//   bench/echo     egresses the message bytes (as text) to playground topic `out`
//   bench/chain-a -> bench/chain-b -> bench/chain-c -> egress `out`
#include <cstdlib>
#include <string>

#include "runtime/sdk/statefun_sdk.h"

namespace sf = statefun::sdk;

namespace {

const auto kCount = sf::ValueSpec<int32_t>("count", sf::types::Int);
const auto kRaw = sf::types::Raw("bench/raw");

void forward_to(sf::Context& context, const sf::Message& message, std::string_view next) {
  context.send(sf::message_to(sf::address(next, context.self().id), kRaw, message.raw_bytes()));
}

}  // namespace

int main() {
  sf::Functions functions;
  functions.bind("bench/counter", {kCount}, [](sf::Context& context, const sf::Message&) {
    context.storage().set(kCount, context.storage().get(kCount).value_or(0) + 1);
  });
  functions.bind("bench/echo", [](sf::Context& context, const sf::Message& message) {
    context.send_egress(sf::playground_egress("out", message.raw_bytes()));
  });
  functions.bind("bench/chain-a", [](sf::Context& context, const sf::Message& message) {
    forward_to(context, message, "bench/chain-b");
  });
  functions.bind("bench/chain-b", [](sf::Context& context, const sf::Message& message) {
    forward_to(context, message, "bench/chain-c");
  });
  functions.bind("bench/chain-c", [](sf::Context& context, const sf::Message& message) {
    context.send_egress(sf::playground_egress("out", message.raw_bytes()));
  });
  const char* port = std::getenv("PORT");
  sf::ServeOptions options;
  options.host = "127.0.0.1";
  options.port = port ? std::atoi(port) : 8000;
  options.log_errors = false;
  sf::Server server(functions, options);
  server.start();
  server.wait();
}
