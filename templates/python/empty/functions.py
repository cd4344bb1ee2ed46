"""{{project}}: one function to start from, written with the official Python
SDK (PyPI apache-flink-statefun 3.3.0), served with aiohttp.

{{namespace}}/hello  counts the messages each id received (state `count`) and
                   writes a line to the playground egress topic `out`.
"""
import os

from aiohttp import web
from statefun import (IntType, RequestReplyHandler, StatefulFunctions, ValueSpec,
                      egress_message_builder, make_json_type)

EGRESS_RECORD = make_json_type("io.statefun.playground/EgressRecord")

functions = StatefulFunctions()


@functions.bind(typename="{{namespace}}/hello", specs=[ValueSpec(name="count", type=IntType)])
async def hello(context, message):
    # Your code goes here. The message is in `message` (message.as_type(...)),
    # the id in context.address.id, this id's state in context.storage.
    count = (context.storage.count or 0) + 1
    context.storage.count = count
    context.send_egress(egress_message_builder(
        target_typename="io.statefun.playground/egress",
        value={"topic": "out", "payload": f"hello {context.address.id} (message {count})"},
        value_type=EGRESS_RECORD))


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
