// HTTP server for the end-to-end test functions (functions.js).
//
// A plain Node http server in front of the official SDK handler, because the
// tests need to see what the emulator sends and to make the function misbehave:
//
//   GET /stats  JSON {requests, faults, log, recorded}; never reaches the SDK.
//               `requests` counts every request meant for the SDK (faulted ones
//               too); `log` has one entry per request that reached the SDK:
//               {target: "ns/type/id", states: {name: hasValue}, callers: [...]},
//               decoded with the SDK's own generated protobuf classes.
//               `maxInFlight` is, per target address, the most requests the
//               emulator ever had open at once (the contract says 1).
//               `recorded` is what e2e/slow saw, per id, in order.
//   anything else goes to the SDK handler (which ignores path and method),
//   except that the first FAULT_TIMES requests get the FAULT instead:
//     FAULT=500      answer 500 with an empty body
//     FAULT=garbage  answer 200, application/octet-stream, bytes that are not a
//                    FromFunction
//     FAULT=close    drop the connection without answering
//
// Environment: PORT (required), HOST (default 127.0.0.1), FAULT, FAULT_TIMES,
// plus SLOW_MS / TTL_MS read by functions.js.
"use strict";

const http = require("http");
const { StateFun } = require("apache-flink-statefun");
// Registers proto.io.statefun.sdk.reqreply.* on the global `proto` object.
require("apache-flink-statefun/dist/generated/request-reply_pb");
const { bindAll, recorded } = require("./functions");

const ToFunction = proto.io.statefun.sdk.reqreply.ToFunction;

const fault = process.env.FAULT || "";
let faultsLeft = Number(process.env.FAULT_TIMES || 0);

const statefun = new StateFun();
bindAll(statefun);

const stats = { requests: 0, faults: 0, log: [], maxInFlight: {} };
const inFlight = {};

function describe(body) {
  try {
    const batch = ToFunction.deserializeBinary(body).getInvocation();
    const t = batch.getTarget();
    const states = {};
    for (const s of batch.getStateList()) {
      states[s.getStateName()] = s.hasStateValue();
    }
    const callers = batch.getInvocationsList().map((inv) => {
      if (!inv.hasCaller()) return null;
      const c = inv.getCaller();
      return `${c.getNamespace()}/${c.getType()}/${c.getId()}`;
    });
    return { target: `${t.getNamespace()}/${t.getType()}/${t.getId()}`, states, callers };
  } catch (e) {
    return { undecodable: String(e) };
  }
}

function misbehave(res) {
  stats.faults += 1;
  console.log(`fault injection: ${fault} (${faultsLeft} left)`);
  if (fault === "500") {
    res.writeHead(500, { "Content-Type": "application/octet-stream" });
    res.end();
  } else if (fault === "garbage") {
    // 0xff 0xff...: a field key with wire type 7, which no protobuf parser accepts.
    const junk = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x13, 0x37]);
    res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": junk.length });
    res.end(junk);
  } else if (fault === "close") {
    res.socket.destroy();
  } else {
    throw new Error(`unknown FAULT ${fault}`);
  }
}

async function serve(req, res) {
  if (req.method === "GET" && req.url === "/stats") {
    const body = JSON.stringify({ ...stats, recorded });
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(body);
    return;
  }
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  stats.requests += 1;
  if (faultsLeft > 0) {
    faultsLeft -= 1;
    misbehave(res);
    return;
  }
  const entry = describe(body);
  stats.log.push(entry);
  const target = entry.target || "?";
  inFlight[target] = (inFlight[target] || 0) + 1;
  stats.maxInFlight[target] = Math.max(stats.maxInFlight[target] || 0, inFlight[target]);
  try {
    // The SDK reads the request with `for await`, so an array of the already
    // consumed body works in place of the request stream.
    await statefun.handle([body], res);
  } finally {
    inFlight[target] -= 1;
  }
}

const port = Number(process.env.PORT);
const host = process.env.HOST || "127.0.0.1";
http.createServer(serve).listen(port, host, () => {
  console.log(`e2e functions listening on ${host}:${port}`);
});
