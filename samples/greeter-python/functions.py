"""The StateFun playground greeter, written with the official Python SDK.

example/person  counts visits per person (state `visits`, an int) and sends
                an example/GreetRequest to example/greeter.
example/greeter publishes a greeting on the playground egress topic
                `greetings`.

Served by aiohttp on POST /statefun, port $PORT (default 8000).
"""
import os

from aiohttp import web
from statefun import (IntType, RequestReplyHandler, StatefulFunctions, ValueSpec,
                      egress_message_builder, make_json_type, message_builder)

# The ingress derives the typename from the request's Content-Type
# (application/vnd.example/GreetRequest), so this name must match it.
GREET_REQUEST = make_json_type("example/GreetRequest")
EGRESS_RECORD = make_json_type("io.statefun.playground/EgressRecord")

functions = StatefulFunctions()


@functions.bind(typename="example/person", specs=[ValueSpec(name="visits", type=IntType)])
async def person(context, message):
    request = message.as_type(GREET_REQUEST)
    # An absent state reads as None on the first visit.
    visits = (context.storage.visits or 0) + 1
    context.storage.visits = visits
    context.send(message_builder(target_typename="example/greeter",
                                 target_id=request["name"],
                                 value={"name": request["name"], "visits": visits},
                                 value_type=GREET_REQUEST))


def greeting_for(name, visits):
    if visits == 1:
        return f"Hello {name}! Nice to meet you."
    if visits == 2:
        return f"Hello {name}! Good to see you again."
    if visits == 3:
        return f"Hello {name}! Third time here, welcome back."
    return f"Hello {name}! This is visit number {visits}, you must like it here."


@functions.bind(typename="example/greeter")
async def greeter(context, message):
    request = message.as_type(GREET_REQUEST)
    context.send_egress(egress_message_builder(
        target_typename="io.statefun.playground/egress",
        value={"topic": "greetings", "payload": greeting_for(request["name"], request["visits"])},
        value_type=EGRESS_RECORD))


handler = RequestReplyHandler(functions)


async def statefun_endpoint(request):
    body = await request.read()
    reply = await handler.handle_async(body)
    return web.Response(body=reply, content_type="application/octet-stream")


def main():
    app = web.Application()
    app.add_routes([web.post("/statefun", statefun_endpoint)])
    # Like the playground: all interfaces unless HOST narrows it down (the
    # end-to-end tests set HOST=127.0.0.1).
    web.run_app(app, host=os.environ.get("HOST"), port=int(os.environ.get("PORT", "8000")))


if __name__ == "__main__":
    main()
