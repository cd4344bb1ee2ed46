// A function process for the dev-loop tests (test_dev_loop.py), written with
// the official JS SDK and started by `statefun dev` itself from a
// statefun.yaml. The tests copy it into a temporary folder next to a
// `version.js` they edit (NODE_PATH points at this folder's node_modules).
//
//   dev/counter  state `count` (int): +1 per message, then egresses
//                {id, count, version} to the playground topic `out`.
//                The text "crash" makes the process exit in the middle of
//                the request, once: the first time, it leaves CRASH_MARKER
//                behind and exits; after the restart the marker exists and
//                the message is counted like any other.
//                The text "throw" makes it print the error's stack to
//                stderr and throw: the official SDK answers an empty 500 and
//                prints nothing, so the printed stack is the only reason.
//                "partial N" prints "seen N" with no newline (and counts).
//                "later" also sends itself "from a timer" in an hour
//                (cancellation token later-<id>): a pending timer.
//
// Environment: PORT (required), HOST (default 127.0.0.1), CRASH_MARKER,
// VERSION; CRASH_AT_START=1 prints a stack trace and exits 1 at once (a
// crash loop).
"use strict";

const fs = require("fs");
const http = require("http");
const path = require("path");
const { StateFun, egressMessageBuilder, messageBuilder } = require("apache-flink-statefun");

// VERSION from the environment, else version.js beside this file, else "none".
let version = process.env.VERSION || "none";
if (!process.env.VERSION) {
  try {
    version = require(path.join(__dirname, "version.js"));
  } catch (e) {
    // no version.js: the crash test does not need one
  }
}

const Text = StateFun.customType(
  "dev/text",
  (s) => Buffer.from(s, "utf8"),
  (buf) => buf.toString("utf8")
);
const EgressRecord = StateFun.jsonType("io.statefun.playground/EgressRecord");
const marker = process.env.CRASH_MARKER || "";

const statefun = new StateFun();
statefun.bind({
  typename: "dev/counter",
  specs: [{ name: "count", type: StateFun.intType() }],
  fn(context, message) {
    const text = message.as(Text);
    if (text === "throw") {
      const error = new Error(`cannot count '${text}' for ${context.self.id}`);
      console.error(error.stack);
      throw error;
    }
    if (text.startsWith("partial ")) process.stdout.write(`seen ${text.slice(8)}`);
    if (text === "later") {
      const reminder = messageBuilder({
        typename: "dev/counter", id: context.self.id, value: "from a timer", valueType: Text });
      context.sendAfter(3600000, reminder, `later-${context.self.id}`);
    }
    if (text === "crash" && marker && !fs.existsSync(marker)) {
      fs.writeFileSync(marker, String(process.pid));
      console.log("crashing on purpose");
      process.exit(3);
    }
    const count = (context.storage.count ?? 0) + 1;
    context.storage.count = count;
    context.send(
      egressMessageBuilder({
        typename: "io.statefun.playground/egress",
        value: { topic: "out", payload: JSON.stringify({ id: context.self.id, count, version }) },
        valueType: EgressRecord,
      })
    );
  },
});

if (process.env.CRASH_AT_START === "1") {
  console.error(new Error("no database configured").stack);
  process.exit(1);
}

const port = Number(process.env.PORT);
const host = process.env.HOST || "127.0.0.1";
http.createServer(statefun.handler()).listen(port, host, () => {
  console.log(`dev-loop functions ${version} listening on ${host}:${port}`);
});
