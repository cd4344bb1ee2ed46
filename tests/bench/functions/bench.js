// Benchmark functions with the official StateFun JS SDK (3.3.0), served on
// 127.0.0.1:$PORT (default 8000). The SDK is loaded from tests/e2e/functions
// (scripts/setup.sh runs `npm ci` there).
//
//   bench/counter  state `count` (int): adds 1 per message. No output.
//   bench/tally    the counter that egresses "<id> <count>" to `out` once
//                  its count reaches $TALLY_TARGET: an engine without an idle
//                  status (the real one) shows when all was applied
//                  (compare_flink.sh).
//   bench/echo     no state: egresses the message's bytes (as text) to the
//                  playground topic `out` — latency probes carry their id.
//   bench/chain-a -> bench/chain-b -> bench/chain-c -> egress `out`:
//                  each forwards the message unchanged to the same id.
"use strict";

const http = require("http");
const path = require("path");

const sdk = require(require.resolve("apache-flink-statefun", {
  paths: [path.join(__dirname, "..", "..", "e2e", "functions")],
}));
const { StateFun, messageBuilder, egressMessageBuilder } = sdk;

const EgressRecord = StateFun.jsonType("io.statefun.playground/EgressRecord");
const Raw = StateFun.customType("bench/raw", (v) => v, (b) => b);

function egressText(context, text) {
  context.send(egressMessageBuilder({
    typename: "io.statefun.playground/egress",
    value: { topic: "out", payload: text },
    valueType: EgressRecord,
  }));
}

function forward(context, message, typename) {
  context.send(messageBuilder({
    typename,
    id: context.self.id,
    value: message.rawValueBytes,
    valueType: Raw,
  }));
}

const tallyTarget = Number(process.env.TALLY_TARGET || 0);

const statefun = new StateFun();
statefun.bind({
  typename: "bench/counter",
  specs: [{ name: "count", type: StateFun.intType() }],
  fn(context) {
    context.storage.count = (context.storage.count || 0) + 1;
  },
});
statefun.bind({
  typename: "bench/tally",
  specs: [{ name: "count", type: StateFun.intType() }],
  fn(context) {
    const count = (context.storage.count || 0) + 1;
    context.storage.count = count;
    if (count === tallyTarget) egressText(context, `${context.self.id} ${count}`);
  },
});
statefun.bind({
  typename: "bench/echo",
  fn(context, message) {
    egressText(context, message.rawValueBytes.toString("utf8"));
  },
});
statefun.bind({
  typename: "bench/chain-a",
  fn(context, message) { forward(context, message, "bench/chain-b"); },
});
statefun.bind({
  typename: "bench/chain-b",
  fn(context, message) { forward(context, message, "bench/chain-c"); },
});
statefun.bind({
  typename: "bench/chain-c",
  fn(context, message) {
    egressText(context, message.rawValueBytes.toString("utf8"));
  },
});

const port = Number(process.env.PORT || 8000);
http.createServer(statefun.handler()).listen(port, "127.0.0.1");
