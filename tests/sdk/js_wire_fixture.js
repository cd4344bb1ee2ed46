#!/usr/bin/env node
// Wire fixture for C++ unit tests: runs ONE request through the official
// StateFun JS SDK (apache-flink-statefun 3.3.0) and prints the SDK's answer.
//
//   stdin : one line, the serialized ToFunction request as hex
//   stdout: one line, the serialized FromFunction response body as hex
//           (the SDK answered HTTP 200), exit code 0
//   if the SDK answers anything else (e.g. 500 for an unknown function type
//   or an undecodable request), nothing on stdout, "status <code>" on stderr,
//   exit code 1; bad input hex: a message on stderr, exit code 2.
//
// The request goes through `StateFun.handle(req, res)` — the same code path as
// `http.createServer(statefun.handler())` — with an in-memory request and
// response instead of a socket. The SDK is loaded from
// tests/e2e/functions/node_modules (scripts/setup.sh runs `npm ci` there).
//
// Bound functions (all outgoing values use the SDK's default encodings). With
// several invocations in one request the effects accumulate in invocation
// order and each touched state gets ONE mutation carrying its final value.
// A request for any other function type gets status 500.
//
//   fixture/counter  state `count`: io.statefun.types/int, no expiration.
//     Per invocation: count = (count or 0) + 1; then
//       - sends n = count as io.statefun.types/int to fixture/sink/<same id>;
//       - egresses to io.statefun.playground/egress an
//         io.statefun.playground/EgressRecord JSON {"topic":"out","payload":"count=<n>"}.
//     First contact (no `count` entry in the request) answers
//     IncompleteInvocationContext{count, io.statefun.types/int, no expiration_spec}.
//
//   fixture/timer  states, in declaration order:
//       `seen`    io.statefun.types/string, expireAfterWrite 5000 ms (AFTER_WRITE)
//       `scratch` io.statefun.types/int, no expiration
//     Per invocation (argument must be io.statefun.types/string):
//       - seen = the argument string                      -> MODIFY `seen`
//       - scratch = null                                  -> DELETE `scratch`
//       - sendAfter(1500, "delayed" as io.statefun.types/string
//                   to fixture/sink/x, token "tok-1")    -> delayed with token
//       - sendAfter(10, "plain" as io.statefun.types/string
//                   to fixture/sink/x)                   -> plain delayed (no token)
//       - cancelDelayedMessage("tok-0")                   -> cancellation
//     Delayed invocations appear in that order (the JS SDK writes fields 10/11
//     before 1/2/3). Mutations: one per state, in declaration order.
//
//   fixture/echo  no state. Per invocation:
//       - if the invocation has a caller: sends the argument back to the caller
//         unchanged (same typename, same bytes);
//       - egresses an EgressRecord {"topic":"out","payload":"caller=<ns>/<type>/<id>"},
//         or "caller=none" when the caller field is absent.
"use strict";

const path = require("path");

const sdkPath = require.resolve("apache-flink-statefun", {
  paths: [path.join(__dirname, "..", "e2e", "functions")],
});
const { StateFun, messageBuilder, egressMessageBuilder } = require(sdkPath);

const EgressRecord = StateFun.jsonType("io.statefun.playground/EgressRecord");

function egress(context, payload) {
  context.send(
    egressMessageBuilder({
      typename: "io.statefun.playground/egress",
      value: { topic: "out", payload },
      valueType: EgressRecord,
    })
  );
}

function toSinkX(text) {
  return messageBuilder({ typename: "fixture/sink", id: "x", value: text, valueType: StateFun.stringType() });
}

const statefun = new StateFun();

statefun.bind({
  typename: "fixture/counter",
  specs: [{ name: "count", type: StateFun.intType() }],
  fn(context) {
    const n = (context.storage.count ?? 0) + 1;
    context.storage.count = n;
    context.send(messageBuilder({ typename: "fixture/sink", id: context.self.id, value: n, valueType: StateFun.intType() }));
    egress(context, `count=${n}`);
  },
});

statefun.bind({
  typename: "fixture/timer",
  specs: [
    { name: "seen", type: StateFun.stringType(), expireAfterWrite: 5000 },
    { name: "scratch", type: StateFun.intType() },
  ],
  fn(context, message) {
    context.storage.seen = message.asString();
    context.storage.scratch = null;
    context.sendAfter(1500, toSinkX("delayed"), "tok-1");
    context.sendAfter(10, toSinkX("plain"));
    context.cancelDelayedMessage("tok-0");
  },
});

// A Type that hands the bytes through untouched, so an echo keeps the
// argument's typename and bytes exactly.
function passThrough(typename) {
  return StateFun.customType(typename, (bytes) => bytes, (bytes) => bytes);
}

statefun.bind({
  typename: "fixture/echo",
  fn(context, message) {
    const caller = context.caller;
    if (caller) {
      context.send(
        messageBuilder({
          typename: caller.typename,
          id: caller.id,
          value: message.rawValueBytes,
          valueType: passThrough(message.valueTypeName),
        })
      );
    }
    egress(context, caller ? `caller=${caller.namespace}/${caller.name}/${caller.id}` : "caller=none");
  },
});

// Collects what the SDK writes to its HTTP response.
class MemoryResponse {
  constructor() {
    this.status = 0;
    this.body = Buffer.alloc(0);
  }
  writeHead(status) {
    this.status = status;
  }
  end(body) {
    if (body) this.body = Buffer.from(body);
  }
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8").trim();
}

async function main() {
  const hex = await readStdin();
  if (!/^([0-9a-fA-F]{2})*$/.test(hex)) {
    process.stderr.write("stdin must be one line of hex (an even number of hex digits)\n");
    process.exit(2);
  }
  const res = new MemoryResponse();
  // The SDK reads the request with `for await`; an array of chunks will do.
  await statefun.handle([Buffer.from(hex, "hex")], res);
  if (res.status !== 200) {
    process.stderr.write(`status ${res.status}\n`);
    process.exit(1);
  }
  process.stdout.write(res.body.toString("hex") + "\n");
}

main();
