// greeter: the StateFun greeter, written with the official JavaScript SDK
// (npm apache-flink-statefun 3.3.0).
//
//   example/person   counts each person's visits (state `visits`) and
//                        asks example/greeter to greet them.
//   example/greeter  turns a visit count into a greeting on the
//                        playground egress topic `greetings`.
"use strict";

const http = require("http");
const {
  StateFun,
  messageBuilder,
  egressMessageBuilder,
} = require("apache-flink-statefun");

// Message types. An ingress request says which one it carries in its
// Content-Type: application/vnd.example/GreetRequest.
const GreetRequest = StateFun.jsonType("example/GreetRequest");
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
  typename: "example/person",
  specs: [{ name: "visits", type: StateFun.intType() }],
  fn(context, message) {
    const { name } = message.as(GreetRequest);
    // A state that was never written reads as null.
    const visits = (context.storage.visits ?? 0) + 1;
    context.storage.visits = visits;
    context.send(
      messageBuilder({
        typename: "example/greeter",
        id: name,
        value: { name, visits },
        valueType: GreetRequest,
      })
    );
  },
});

function greetingFor(name, visits) {
  if (visits === 1) return `Hello ${name}! Nice to meet you.`;
  if (visits === 2) return `Hello ${name}! Good to see you again.`;
  return `Hello ${name}! This is visit number ${visits}.`;
}

bind({
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

// The SDK's handler answers on every path: module.yaml uses /statefun. Only
// this machine can reach it unless HOST says otherwise (HOST=0.0.0.0 in a
// container, where the StateFun runtime connects from elsewhere).
const port = Number(process.env.PORT || 8000);
const host = process.env.HOST || "127.0.0.1";
http.createServer(statefun.handler()).listen(port, host, () => {
  console.log(`greeter functions listening on ${host}:${port}`);
});
