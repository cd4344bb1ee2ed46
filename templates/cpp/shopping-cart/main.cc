// {{project}}: a shopping cart, written with statefun's C++ SDK
// (its header, runtime/sdk/statefun_sdk.h, says how to use it).
//
//   {{namespace}}/cart/<user>       the user's cart (state `items`: item -> quantity).
//       AddToCart {item, quantity}   asks the item's inventory to reserve it;
//       Reserved {item, quantity, ok}  the inventory's answer: add it if ok;
//       Checkout {}                  a receipt on the egress topic `receipts`,
//                                    and an empty cart.
//   {{namespace}}/inventory/<item>  the stock of one item (state `stock`).
//       Restock {quantity}           adds to the stock;
//       Reserve {quantity}           takes from the stock if there is enough,
//                                    and answers the cart with Reserved.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>

#include "runtime/sdk/statefun_sdk.h"

namespace sf = statefun::sdk;
using nlohmann::json;

namespace {

// Message and state types. An ingress request says which message it carries
// in its Content-Type, e.g. application/vnd.{{namespace}}/AddToCart.
const auto kAddToCart = sf::types::Json("{{namespace}}/AddToCart");
const auto kCheckout = sf::types::Json("{{namespace}}/Checkout");
const auto kRestock = sf::types::Json("{{namespace}}/Restock");
const auto kReserve = sf::types::Json("{{namespace}}/Reserve");
const auto kReserved = sf::types::Json("{{namespace}}/Reserved");
const auto kItems = sf::ValueSpec<json>("items", sf::types::Json("{{namespace}}/CartItems"));
const auto kStock = sf::ValueSpec<int32_t>("stock", sf::types::Int);

void cart(sf::Context& context, const sf::Message& message) {
  const std::string& user = context.self().id;
  if (message.is(kAddToCart)) {
    const json request = message.as(kAddToCart);
    const auto item = request.at("item").get<std::string>();
    const json reserve = {{"quantity", request.at("quantity")}};
    context.send(sf::message_to(sf::address("{{namespace}}/inventory", item), kReserve, reserve));
  } else if (message.is(kReserved)) {
    const json reply = message.as(kReserved);
    if (reply.at("ok").get<bool>()) {
      json items = context.storage().get(kItems).value_or(json::object());
      const auto item = reply.at("item").get<std::string>();
      items[item] = items.value(item, 0) + reply.at("quantity").get<int>();
      context.storage().set(kItems, items);
    }
  } else if (message.is(kCheckout)) {
    const json items = context.storage().get(kItems).value_or(json::object());
    int total = 0;
    for (const auto& [item, quantity] : items.items()) total += quantity.get<int>();
    // nlohmann::json keeps keys in alphabetical order, as every language does here.
    const json receipt = {{"items", items}, {"total", total}, {"user", user}};
    context.send_egress(sf::playground_egress("receipts", receipt.dump()));
    context.storage().remove(kItems);
  } else {
    throw std::invalid_argument("cart: unexpected message type " + message.type_name());
  }
}

void inventory(sf::Context& context, const sf::Message& message) {
  const int32_t stock = context.storage().get(kStock).value_or(0);
  if (message.is(kRestock)) {
    context.storage().set(kStock, stock + message.as(kRestock).at("quantity").get<int32_t>());
  } else if (message.is(kReserve)) {
    const auto quantity = message.as(kReserve).at("quantity").get<int32_t>();
    const bool ok = quantity <= stock;
    if (ok) context.storage().set(kStock, stock - quantity);
    // The cart that asked is the caller; answer it.
    const auto& caller = context.caller();
    if (!caller) throw std::invalid_argument("inventory: a Reserve must come from a cart");
    context.send(sf::message_to(
        *caller, kReserved, json{{"item", context.self().id}, {"quantity", quantity}, {"ok", ok}}));
  } else {
    throw std::invalid_argument("inventory: unexpected message type " + message.type_name());
  }
}

}  // namespace

int main() {
  sf::Functions functions;
  functions.bind("{{namespace}}/cart", {kItems}, cart);
  functions.bind("{{namespace}}/inventory", {kStock}, inventory);

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
