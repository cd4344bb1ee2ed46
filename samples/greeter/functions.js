// The StateFun playground greeter, written with the official JavaScript SDK.
//
//   example/person  remembers how often each person visited (state `visits`)
//                   and asks example/greeter to greet them.
//   example/greeter turns a visit count into a greeting and publishes it on
//                   the playground egress topic `greetings`.
//
// The process is a plain Node HTTP server; the SDK handler answers every path,
// so module.yaml may point at any URL on this port (we use /statefun).
"use strict";

const http = require("http");
const {
  StateFun,
  messageBuilder,
  egressMessageBuilder,
} = require("apache-flink-statefun");

// Message and record types. The names must match what the ingress request's
// Content-Type says (application/vnd.example/GreetRequest) and what the
// playground egress expects (io.statefun.playground/EgressRecord).
const GreetRequest = StateFun.jsonType("example/GreetRequest");
const EgressRecord = StateFun.jsonType("io.statefun.playground/EgressRecord");

const statefun = new StateFun();

statefun.bind({
  typename: "example/person",
  specs: [{ name: "visits", type: StateFun.intType() }],
  fn(context, message) {
    const request = message.as(GreetRequest);
    // An absent state reads as null on the first visit.
    const visits = (context.storage.visits ?? 0) + 1;
    context.storage.visits = visits;

    context.send(
      messageBuilder({
        typename: "example/greeter",
        id: request.name,
        value: { name: request.name, visits },
        valueType: GreetRequest,
      })
    );
  },
});

function greetingFor(name, visits) {
  switch (visits) {
    case 1:
      return `Hello ${name}! Nice to meet you.`;
    case 2:
      return `Hello ${name}! Good to see you again.`;
    case 3:
      return `Hello ${name}! Third time here, welcome back.`;
    default:
      return `Hello ${name}! This is visit number ${visits}, you must like it here.`;
  }
}

statefun.bind({
  typename: "example/greeter",
  fn(context, message) {
    const { name, visits } = message.as(GreetRequest);
    context.send(
      egressMessageBuilder({
        typename: "io.statefun.playground/egress",
        value: { topic: "greetings", payload: greetingFor(name, visits) },
        valueType: EgressRecord,
      })
    );
  },
});

// Like the playground, listen on all interfaces unless HOST narrows it down
// (the end-to-end tests set HOST=127.0.0.1).
const port = Number(process.env.PORT || 8000);
const host = process.env.HOST || undefined;
http.createServer(statefun.handler()).listen(port, host, () => {
  console.log(`greeter functions listening on ${host ?? "*"}:${port}`);
});
