// shopping-cart: a shopping cart, written with the official JavaScript SDK
// (npm apache-flink-statefun 3.3.0).
//
//   example/cart/<user>       the user's cart (state `items`: item -> quantity).
//       AddToCart {item, quantity}   asks the item's inventory to reserve it;
//       Reserved {item, quantity, ok}  the inventory's answer: add it if ok;
//       Checkout {}                  a receipt on the egress topic `receipts`,
//                                    and an empty cart.
//   example/inventory/<item>  the stock of one item (state `stock`).
//       Restock {quantity}           adds to the stock;
//       Reserve {quantity}           takes from the stock if there is enough,
//                                    and answers the cart with Reserved.
"use strict";

const http = require("http");
const {
  StateFun,
  messageBuilder,
  egressMessageBuilder,
} = require("apache-flink-statefun");

// Message and state types. An ingress request says which message it carries
// in its Content-Type, e.g. application/vnd.example/AddToCart.
const AddToCart = StateFun.jsonType("example/AddToCart");
const Checkout = StateFun.jsonType("example/Checkout");
const Restock = StateFun.jsonType("example/Restock");
const Reserve = StateFun.jsonType("example/Reserve");
const Reserved = StateFun.jsonType("example/Reserved");
const CartItems = StateFun.jsonType("example/CartItems");
const EgressRecord = StateFun.jsonType("io.statefun.playground/EgressRecord");

const statefun = new StateFun();

// The SDK answers a function that throws with an empty HTTP 500 and prints
// nothing: print the error here, so `statefun dev` can show why a call failed.
function bind(spec) {
  const fn = spec.fn;
  statefun.bind({
    ...spec,
    async fn(context, message) {
      try {
        return await fn(context, message);
      } catch (error) {
        console.error(error);
        throw error;
      }
    },
  });
}

bind({
  typename: "example/cart",
  specs: [{ name: "items", type: CartItems }],
  fn(context, message) {
    const user = context.self.id;
    if (message.is(AddToCart)) {
      const { item, quantity } = message.as(AddToCart);
      context.send(
        messageBuilder({
          typename: "example/inventory",
          id: item,
          value: { quantity },
          valueType: Reserve,
        })
      );
    } else if (message.is(Reserved)) {
      const { item, quantity, ok } = message.as(Reserved);
      if (ok) {
        const items = context.storage.items ?? {};
        items[item] = (items[item] ?? 0) + quantity;
        context.storage.items = items;
      }
    } else if (message.is(Checkout)) {
      const items = context.storage.items ?? {};
      // Keys in alphabetical order, so every language writes the same bytes.
      const sorted = {};
      let total = 0;
      for (const item of Object.keys(items).sort()) {
        sorted[item] = items[item];
        total += items[item];
      }
      const receipt = JSON.stringify({ items: sorted, total, user });
      context.send(
        egressMessageBuilder({
          typename: "io.statefun.playground/egress",
          value: { topic: "receipts", payload: receipt },
          valueType: EgressRecord,
        })
      );
      context.storage.items = null; // deletes the state
    } else {
      throw new Error(`cart: unexpected message type ${message.valueTypeName}`);
    }
  },
});

bind({
  typename: "example/inventory",
  specs: [{ name: "stock", type: StateFun.intType() }],
  fn(context, message) {
    const stock = context.storage.stock ?? 0;
    if (message.is(Restock)) {
      context.storage.stock = stock + message.as(Restock).quantity;
    } else if (message.is(Reserve)) {
      const { quantity } = message.as(Reserve);
      const ok = quantity <= stock;
      if (ok) context.storage.stock = stock - quantity;
      // The cart that asked is the caller; answer it.
      context.send(
        messageBuilder({
          typename: context.caller.typename,
          id: context.caller.id,
          value: { item: context.self.id, quantity, ok },
          valueType: Reserved,
        })
      );
    } else {
      throw new Error(`inventory: unexpected message type ${message.valueTypeName}`);
    }
  },
});

// The SDK's handler answers on every path: module.yaml uses /statefun. Only
// this machine can reach it unless HOST says otherwise (HOST=0.0.0.0 in a
// container, where the StateFun runtime connects from elsewhere).
const port = Number(process.env.PORT || 8000);
const host = process.env.HOST || "127.0.0.1";
http.createServer(statefun.handler()).listen(port, host, () => {
  console.log(`shopping-cart functions listening on ${host}:${port}`);
});
