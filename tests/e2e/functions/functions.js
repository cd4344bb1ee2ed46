// The functions the end-to-end tests talk to, bound with the official JS SDK.
// All live in namespace `e2e`, so one module.yaml endpoint (`e2e/*`) serves
// them. Egress records go to the playground egress topic `out` as JSON
// strings, so a test can pop and parse them.
//
//   e2e/counter    state `count` (int): +1 per message.
//   e2e/slow       sleeps SLOW_MS (default 20) per message, then records the
//                  message text in `recorded` (exposed on GET /stats).
//   e2e/stateful   states `seen` (int) and `greeting` (string): egresses what it
//                  saw, {id, seen, greeting}, then bumps `seen`, sets `greeting`.
//   e2e/scheduler  JSON commands:
//                    {op:"after", delay, tag, token?} sendAfter(delay) the text
//                                                     `tag` to e2e/reporter/<own id>
//                    {op:"cancel", token}             cancelDelayedMessage(token)
//   e2e/reminder   state `visits` (int): +1 per message; the first visit also
//                  schedules "remind" to e2e/reporter/<own id> in 10 minutes,
//                  cancellation token "reminder" (a replay from before that
//                  visit schedules it again while it is still pending).
//   e2e/forwarder  sends the message text on to e2e/reporter/<own id>.
//   e2e/reporter   egresses {self, caller, text}; caller is "ns/type/id" or null.
//   e2e/ttl        state `v` (string, expireAfterWrite TTL_MS, default 1500):
//                    {op:"write", value} sets it; {op:"read"} egresses {seen: v}.
"use strict";

const {
  StateFun,
  messageBuilder,
  egressMessageBuilder,
} = require("apache-flink-statefun");

// Tests send raw UTF-8 with `Content-Type: application/vnd.e2e/text` or JSON
// with `application/vnd.e2e/json`; the ingress passes the bytes through as-is.
const Text = StateFun.customType(
  "e2e/text",
  (s) => Buffer.from(s, "utf8"),
  (buf) => buf.toString("utf8")
);
const Json = StateFun.jsonType("e2e/json");
const EgressRecord = StateFun.jsonType("io.statefun.playground/EgressRecord");

const SLOW_MS = Number(process.env.SLOW_MS || 20);
const TTL_MS = Number(process.env.TTL_MS || 1500);

// Values seen by e2e/slow, per id, in invocation order.
const recorded = {};

function addressString(address) {
  return address ? `${address.namespace}/${address.name}/${address.id}` : null;
}

function emit(context, value) {
  context.send(
    egressMessageBuilder({
      typename: "io.statefun.playground/egress",
      value: { topic: "out", payload: JSON.stringify(value) },
      valueType: EgressRecord,
    })
  );
}

function toReporter(context, text) {
  return messageBuilder({
    typename: "e2e/reporter",
    id: context.self.id,
    value: text,
    valueType: Text,
  });
}

function bindAll(statefun) {
  statefun.bind({
    typename: "e2e/counter",
    specs: [{ name: "count", type: StateFun.intType() }],
    fn(context) {
      context.storage.count = (context.storage.count ?? 0) + 1;
    },
  });

  statefun.bind({
    typename: "e2e/reminder",
    specs: [{ name: "visits", type: StateFun.intType() }],
    fn(context) {
      const visits = context.storage.visits ?? 0;
      if (visits === 0) context.sendAfter(600000, toReporter(context, "remind"), "reminder");
      context.storage.visits = visits + 1;
    },
  });

  statefun.bind({
    typename: "e2e/slow",
    async fn(context, message) {
      await new Promise((resolve) => setTimeout(resolve, SLOW_MS));
      (recorded[context.self.id] ??= []).push(message.as(Text));
    },
  });

  statefun.bind({
    typename: "e2e/stateful",
    specs: [
      { name: "seen", type: StateFun.intType() },
      { name: "greeting", type: StateFun.stringType() },
    ],
    fn(context) {
      const { seen, greeting } = context.storage;
      emit(context, { id: context.self.id, seen, greeting });
      context.storage.seen = (seen ?? 0) + 1;
      context.storage.greeting = `hi ${context.self.id}`;
    },
  });

  statefun.bind({
    typename: "e2e/scheduler",
    fn(context, message) {
      const command = message.as(Json);
      if (command.op === "after") {
        context.sendAfter(command.delay, toReporter(context, command.tag), command.token);
      } else if (command.op === "cancel") {
        context.cancelDelayedMessage(command.token);
      } else {
        throw new Error(`unknown scheduler op ${command.op}`);
      }
    },
  });

  statefun.bind({
    typename: "e2e/forwarder",
    fn(context, message) {
      context.send(toReporter(context, message.as(Text)));
    },
  });

  statefun.bind({
    typename: "e2e/reporter",
    fn(context, message) {
      emit(context, {
        self: addressString(context.self),
        caller: addressString(context.caller),
        text: message.as(Text),
      });
    },
  });

  statefun.bind({
    typename: "e2e/ttl",
    specs: [{ name: "v", type: StateFun.stringType(), expireAfterWrite: TTL_MS }],
    fn(context, message) {
      const command = message.as(Json);
      if (command.op === "write") {
        context.storage.v = command.value;
      } else if (command.op === "read") {
        emit(context, { seen: context.storage.v });
      } else {
        throw new Error(`unknown ttl op ${command.op}`);
      }
    },
  });
}

module.exports = { bindAll, recorded };

// e2e/keeper  state `last` (type.googleapis.com/e2e.Note, bytes kept as
//             they are): stores each message's raw bytes, so the CLI's
//             protobuf decoding (--proto) can be tested against a real SDK.
const Note = StateFun.customType(
  "type.googleapis.com/e2e.Note",
  (buf) => buf,
  (buf) => buf
);
const bindAllBefore = module.exports.bindAll;
module.exports.bindAll = function bindAllWithKeeper(statefun) {
  bindAllBefore(statefun);
  statefun.bind({
    typename: "e2e/keeper",
    specs: [{ name: "last", type: Note }],
    fn(context, message) {
      context.storage.last = message.rawValueBytes;
    },
  });
};

// e2e/adder  state `sum` (int): adds the number of each message (JSON {n})
//            and egresses {id, sum}; with {n, to} it also sends {n} on to
//            e2e/adder/<to>. With ADDER_BUG=1 it adds n + 1 — the bug a
//            time-travel test fixes by restarting without it, then replays.
const ADDER_BUG = process.env.ADDER_BUG === "1";
const bindAllBeforeAdder = module.exports.bindAll;
module.exports.bindAll = function bindAllWithAdder(statefun) {
  bindAllBeforeAdder(statefun);
  statefun.bind({
    typename: "e2e/adder",
    specs: [{ name: "sum", type: StateFun.intType() }],
    fn(context, message) {
      const { n, to } = message.as(Json);
      context.storage.sum = (context.storage.sum ?? 0) + n + (ADDER_BUG ? 1 : 0);
      emit(context, { id: context.self.id, sum: context.storage.sum });
      if (to) {
        context.send(messageBuilder({ typename: "e2e/adder", id: to, value: { n }, valueType: Json }));
      }
    },
  });
};

// e2e/ledger  state `count` (int): +1 per message, and egresses
//             {ledger: <own id>, m: <message text>, n: <count after>}, so the
//             torture loop (tests/torture) can check per message id that each
//             acknowledged message was applied exactly once.
const bindAllBeforeLedger = module.exports.bindAll;
module.exports.bindAll = function bindAllWithLedger(statefun) {
  bindAllBeforeLedger(statefun);
  statefun.bind({
    typename: "e2e/ledger",
    specs: [{ name: "count", type: StateFun.intType() }],
    fn(context, message) {
      context.storage.count = (context.storage.count ?? 0) + 1;
      emit(context, { ledger: context.self.id, m: message.as(Text), n: context.storage.count });
    },
  });
};

// e2e/chain  sends the message text on to e2e/forwarder/<own id>, which
//            sends it to e2e/reporter/<own id>, which egresses it: three
//            functions from one message to the egress (causal-tree tests).
//            The text "boom" makes it throw instead (an address that keeps
//            failing).
const bindAllBeforeChain = module.exports.bindAll;
module.exports.bindAll = function bindAllWithChain(statefun) {
  bindAllBeforeChain(statefun);
  statefun.bind({
    typename: "e2e/chain",
    fn(context, message) {
      const text = message.as(Text);
      if (text === "boom") throw new Error("e2e/chain was told to fail");
      context.send(
        messageBuilder({ typename: "e2e/forwarder", id: context.self.id, value: text, valueType: Text })
      );
    },
  });
};

// e2e/kafka-ledger  state `count` (int): +1 per message, and writes
//                   {ledger: <own id>, m: <message text>, n: <count after>}
//                   to the Kafka egress e2e/kafka-out, on the topic that env
//                   KAFKA_OUT_TOPIC names (default "ledger-out"), keyed by
//                   its id, so the connect-mode tests (test_kafka_real.py)
//                   can check each record was applied exactly once.
const bindAllBeforeKafkaLedger = module.exports.bindAll;
module.exports.bindAll = function bindAllWithKafkaLedger(statefun) {
  bindAllBeforeKafkaLedger(statefun);
  const { kafkaEgressMessage } = require("apache-flink-statefun");
  statefun.bind({
    typename: "e2e/kafka-ledger",
    specs: [{ name: "count", type: StateFun.intType() }],
    fn(context, message) {
      context.storage.count = (context.storage.count ?? 0) + 1;
      const record = { ledger: context.self.id, m: message.as(Text), n: context.storage.count };
      context.send(
        kafkaEgressMessage({
          typename: "e2e/kafka-out",
          topic: process.env.KAFKA_OUT_TOPIC || "ledger-out",
          key: context.self.id,
          value: JSON.stringify(record),
        })
      );
    },
  });
};
