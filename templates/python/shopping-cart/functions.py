"""{{project}}: a shopping cart, written with the official Python SDK (PyPI
apache-flink-statefun 3.3.0), served with aiohttp.

{{namespace}}/cart/<user>       the user's cart (state `items`: item -> quantity).
    AddToCart {item, quantity}   asks the item's inventory to reserve it;
    Reserved {item, quantity, ok}  the inventory's answer: add it if ok;
    Checkout {}                  a receipt on the egress topic `receipts`, and
                                 an empty cart.
{{namespace}}/inventory/<item>  the stock of one item (state `stock`).
    Restock {quantity}           adds to the stock;
    Reserve {quantity}           takes from the stock if there is enough, and
                                 answers the cart with Reserved.
"""
import json
import os

from aiohttp import web
from statefun import (IntType, RequestReplyHandler, StatefulFunctions, ValueSpec,
                      egress_message_builder, make_json_type, message_builder)

# Message and state types. An ingress request says which message it carries
# in its Content-Type, e.g. application/vnd.{{namespace}}/AddToCart.
ADD_TO_CART = make_json_type("{{namespace}}/AddToCart")
CHECKOUT = make_json_type("{{namespace}}/Checkout")
RESTOCK = make_json_type("{{namespace}}/Restock")
RESERVE = make_json_type("{{namespace}}/Reserve")
RESERVED = make_json_type("{{namespace}}/Reserved")
CART_ITEMS = make_json_type("{{namespace}}/CartItems")
EGRESS_RECORD = make_json_type("io.statefun.playground/EgressRecord")

functions = StatefulFunctions()


@functions.bind(typename="{{namespace}}/cart", specs=[ValueSpec(name="items", type=CART_ITEMS)])
async def cart(context, message):
    if message.is_type(ADD_TO_CART):
        request = message.as_type(ADD_TO_CART)
        context.send(message_builder(target_typename="{{namespace}}/inventory",
                                     target_id=request["item"],
                                     value={"quantity": request["quantity"]},
                                     value_type=RESERVE))
    elif message.is_type(RESERVED):
        reply = message.as_type(RESERVED)
        if reply["ok"]:
            items = context.storage.items or {}
            items[reply["item"]] = items.get(reply["item"], 0) + reply["quantity"]
            context.storage.items = items
    elif message.is_type(CHECKOUT):
        items = context.storage.items or {}
        receipt = {"items": items, "total": sum(items.values()), "user": context.address.id}
        # Keys in alphabetical order, no spaces: every language writes the same bytes.
        payload = json.dumps(receipt, sort_keys=True, separators=(",", ":"))
        context.send_egress(egress_message_builder(
            target_typename="io.statefun.playground/egress",
            value={"topic": "receipts", "payload": payload},
            value_type=EGRESS_RECORD))
        del context.storage.items
    else:
        raise ValueError(f"cart: unexpected message type {message.value_typename()}")


@functions.bind(typename="{{namespace}}/inventory", specs=[ValueSpec(name="stock", type=IntType)])
async def inventory(context, message):
    stock = context.storage.stock or 0
    if message.is_type(RESTOCK):
        context.storage.stock = stock + message.as_type(RESTOCK)["quantity"]
    elif message.is_type(RESERVE):
        quantity = message.as_type(RESERVE)["quantity"]
        ok = quantity <= stock
        if ok:
            context.storage.stock = stock - quantity
        # The cart that asked is the caller; answer it.
        context.send(message_builder(target_typename=context.caller.typename,
                                     target_id=context.caller.id,
                                     value={"item": context.address.id, "quantity": quantity,
                                            "ok": ok},
                                     value_type=RESERVED))
    else:
        raise ValueError(f"inventory: unexpected message type {message.value_typename()}")


handler = RequestReplyHandler(functions)


async def statefun_endpoint(request):
    reply = await handler.handle_async(await request.read())
    return web.Response(body=reply, content_type="application/octet-stream")


if __name__ == "__main__":
    app = web.Application()
    app.add_routes([web.post("/statefun", statefun_endpoint)])
    # Only this machine can reach it unless HOST says otherwise (HOST=0.0.0.0
    # in a container, where the StateFun runtime connects from elsewhere).
    web.run_app(app, host=os.environ.get("HOST") or "127.0.0.1",
                port=int(os.environ.get("PORT", "8000")))
