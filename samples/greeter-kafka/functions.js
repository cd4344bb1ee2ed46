// greeter-kafka: the StateFun greeter with a Kafka ingress and egress,
// written with the official JavaScript SDK (npm apache-flink-statefun 3.3.0).
//
//   topic `names` --(Kafka ingress example/names: key = id)--> example/person
//   example/person   counts each person's visits (state `visits`) and asks
//                    example/greeter to greet them.
//   example/greeter  writes the greeting to the Kafka egress example/greets,
//                    topic `greetings`, keyed by the person's name.
"use strict";

const http = require("http");
const { StateFun, messageBuilder, kafkaEgressMessage } = require("apache-flink-statefun");

// The Kafka ingress types each record with its topic's valueType
// (module.yaml): the record value is this JSON, e.g. {"name": "Bob"}.
const GreetRequest = StateFun.jsonType("example/GreetRequest");

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
    // The record key is the id: one `visits` per key.
    const { name } = message.as(GreetRequest);
    const visits = (context.storage.visits ?? 0) + 1;
    context.storage.visits = visits;
    context.send(
      messageBuilder({
        typename: "example/greeter",
        id: context.self.id,
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
      kafkaEgressMessage({
        typename: "example/greets",
        topic: "greetings",
        key: context.self.id,
        value: greetingFor(name, visits),
      })
    );
  },
});

// The SDK's handler answers on every path: module.yaml uses /statefun. All
// interfaces unless HOST names one (127.0.0.1 keeps it to this machine).
const port = Number(process.env.PORT || 8000);
const host = process.env.HOST || undefined;
http.createServer(statefun.handler()).listen(port, host, () => {
  console.log(`greeter-kafka functions listening on ${host ?? "*"}:${port}`);
});
