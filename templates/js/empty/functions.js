// {{project}}: one function to start from, written with the official
// JavaScript SDK (npm apache-flink-statefun 3.3.0).
//
//   {{namespace}}/hello  counts the messages each id received (state `count`)
//                      and writes a line to the playground egress topic `out`.
"use strict";

const http = require("http");
const { StateFun, egressMessageBuilder } = require("apache-flink-statefun");

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
  typename: "{{namespace}}/hello",
  specs: [{ name: "count", type: StateFun.intType() }],
  fn(context, message) {
    // Your code goes here. The message is in `message` (message.as(type)),
    // the id in context.self.id, this id's state in context.storage.
    const count = (context.storage.count ?? 0) + 1;
    context.storage.count = count;
    context.send(
      egressMessageBuilder({
        typename: "io.statefun.playground/egress",
        value: { topic: "out", payload: `hello ${context.self.id} (message ${count})` },
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
  console.log(`{{project}} functions listening on ${host}:${port}`);
});
