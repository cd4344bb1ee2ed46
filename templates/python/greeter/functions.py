"""{{project}}: the StateFun greeter, written with the official Python SDK
(PyPI apache-flink-statefun 3.3.0), served with aiohttp.

{{namespace}}/person   counts each person's visits (state `visits`) and asks
                     {{namespace}}/greeter to greet them.
{{namespace}}/greeter  turns a visit count into a greeting on the playground
                     egress topic `greetings`.
"""
import os

from aiohttp import web
from statefun import (IntType, RequestReplyHandler, StatefulFunctions, ValueSpec,
                      egress_message_builder, make_json_type, message_builder)

# Message types. An ingress request says which one it carries in its
# Content-Type: application/vnd.{{namespace}}/GreetRequest.
GREET_REQUEST = make_json_type("{{namespace}}/GreetRequest")
EGRESS_RECORD = make_json_type("io.statefun.playground/EgressRecord")

functions = StatefulFunctions()


@functions.bind(typename="{{namespace}}/person", specs=[ValueSpec(name="visits", type=IntType)])
async def person(context, message):
    name = message.as_type(GREET_REQUEST)["name"]
    # A state that was never written reads as None.
    visits = (context.storage.visits or 0) + 1
    context.storage.visits = visits
    context.send(message_builder(target_typename="{{namespace}}/greeter",
                                 target_id=name,
                                 value={"name": name, "visits": visits},
                                 value_type=GREET_REQUEST))


def greeting_for(name, visits):
    if visits == 1:
        return f"Hello {name}! Nice to meet you."
    if visits == 2:
        return f"Hello {name}! Good to see you again."
    return f"Hello {name}! This is visit number {visits}."


@functions.bind(typename="{{namespace}}/greeter")
async def greeter(context, message):
    request = message.as_type(GREET_REQUEST)
    context.send_egress(egress_message_builder(
        target_typename="io.statefun.playground/egress",
        value={"topic": "greetings", "payload": greeting_for(request["name"], request["visits"])},
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
