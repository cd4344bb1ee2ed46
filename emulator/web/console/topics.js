// Topics: the playground egress topics and the emulated Kafka/Kinesis topics,
// with their record counts; one topic's records, oldest first, read without
// consuming anything (a pop through the playground egress is what consumes),
// paged with "Load more"; and for an ingress topic a form that produces a
// record, routed as StateFun's Kafka/Kinesis ingress routes it.
import { get, post, q } from "./api.js";
import { errorLine, fill, h, section, table, time } from "./dom.js";

const PAGE = 50;

const topicLink = (kind, topic) =>
  h("a", { href: `#/topics${q({ kind, topic })}` }, topic);

export function render(main, params, bus) {
  if (params.topic) return renderTopic(main, params.kind === "egress" ? "egress" : "kafka", params.topic, bus);
  const egress = h("div", { id: "egress-topics" });
  const kafka = h("div", { id: "kafka-topics" });
  fill(main, h("h1", {}, "Topics"),
    section("Playground egress", egress),
    section("Kafka and Kinesis (emulated)", kafka));
  (async () => {
    try {
      const [e, k] = await Promise.all([get("/v1/egress"), get("/v1/topics")]);
      const playground = e.topics.filter((t) => t.egress === "io.statefun.playground/egress");
      fill(egress, playground.length ? table(["topic", "records", "not popped"], playground.map((t) =>
        h("tr", { "data-topic": t.topic }, h("td", {}, topicLink("egress", t.topic)),
          h("td", { class: "num" }, String(t.records)), h("td", { class: "num" }, String(t.unpopped)))))
        : h("p", { class: "dim" }, "module.yaml has no playground egress topic."));
      fill(kafka, k.topics.length ? table(["topic", "kind", "direction", "owners", "records", "consumer at"],
        k.topics.map((t) => h("tr", { "data-topic": t.topic },
          h("td", {}, topicLink("kafka", t.topic)), h("td", {}, t.kind), h("td", {}, t.direction),
          h("td", {}, t.owners.join(", ")), h("td", { class: "num" }, String(t.records)),
          h("td", { class: "num" }, t.consumer_offset === null ? "—" : String(t.consumer_offset)))))
        : h("p", { class: "dim" }, "module.yaml has no Kafka or Kinesis ingress or egress."));
    } catch (e) {
      fill(egress, errorLine(e));
    }
  })();
  return null;
}

function renderTopic(main, kind, topic, bus) {
  const notice = h("div", { role: "status", "aria-live": "polite", class: "notice" });
  const body = h("tbody", { id: "records" });
  const more = h("button", { type: "button", id: "records-more", hidden: true }, "Load more");
  const produce = h("div", { id: "produce" });
  fill(main, h("p", {}, h("a", { href: "#/topics" }, "← Topics")),
    h("h1", {}, `Topic ${topic}`), notice, produce,
    section("Records (nothing is consumed by reading)",
      h("div", { class: "scroll" }, h("table", { id: "records-table" },
        h("thead", {}, h("tr", {}, (kind === "egress"
          ? ["offset", "at", "step", "payload", "popped"]
          : ["offset", "at", "key", "value", "routed"]).map((t) => h("th", { scope: "col" }, t)))),
        body)), more));

  let next = 0;
  let loading = false;
  const path = (from) => kind === "egress"
    ? `/v1/egress/${encodeURIComponent(topic)}${q({ from, limit: PAGE })}`
    : `/v1/topics/${encodeURIComponent(topic)}/records${q({ from, limit: PAGE })}`;
  const row = (r) => kind === "egress"
    ? h("tr", { "data-offset": r.offset },
      h("td", { class: "num" }, String(r.offset)), h("td", {}, time(r.at)),
      h("td", { class: "num" }, String(r.step)),
      h("td", {}, h("pre", {}, r.payload ?? `base64 ${r.payload_base64}`)),
      h("td", {}, r.popped ? "yes" : "no"))
    : h("tr", { "data-offset": r.offset },
      h("td", { class: "num" }, String(r.offset)), h("td", {}, time(r.at)),
      h("td", {}, r.key ?? (r.key_base64 ? `base64 ${r.key_base64}` : h("span", { class: "dim" }, "no key"))),
      h("td", {}, h("pre", {}, r.value ?? `base64 ${r.value_base64}`)),
      h("td", {}, r.messages === undefined ? `step ${r.step}` : `${r.messages} message(s)`));

  // Reads the page after what is shown; `more` offers the next one while
  // a page came back full.
  async function load() {
    if (loading) return;
    loading = true;
    try {
      const page = await get(path(next));
      for (const r of page.records) body.append(row(r));
      next = page.next;
      more.hidden = page.records.length < PAGE;
    } catch (e) {
      fill(notice, errorLine(e));
    } finally {
      loading = false;
    }
  }
  more.addEventListener("click", load);

  (async () => {
    if (kind !== "kafka") return;
    try {
      const listed = (await get("/v1/topics")).topics.find((t) => t.topic === topic);
      if (!listed || listed.direction !== "ingress") return;
      const key = h("input", { id: "produce-key", autocomplete: "off" });
      const valueKind = h("select", { id: "produce-kind" },
        h("option", { value: "json" }, "JSON"), h("option", { value: "text" }, "text"));
      const value = h("textarea", { id: "produce-value", rows: 3 });
      fill(produce, h("form", { class: "card", id: "produce-form", onsubmit: async (e) => {
        e.preventDefault();
        const record = { key: key.value };
        try {
          record[valueKind.value] = valueKind.value === "json" ? JSON.parse(value.value) : value.value;
        } catch (err) {
          fill(notice, errorLine(new Error(`the value is not JSON: ${err.message}`)));
          return;
        }
        try {
          const produced = await post(`/v1/topics/${encodeURIComponent(topic)}/records`, record);
          fill(notice, h("p", { id: "produced" }, `Produced at offset ${produced.offset}, routed to `,
            produced.messages.length ? produced.messages.map((m) => m.address).join(", ") : "nothing", "."));
          load();
        } catch (err) {
          fill(notice, errorLine(err));
        }
      } },
      h("h2", {}, "Produce a record"),
      h("div", { class: "field" }, h("label", { for: "produce-key" }, "Key (the target id)"), key),
      h("div", { class: "field" }, h("label", { for: "produce-kind" }, "Value as "), valueKind),
      h("div", { class: "field" }, h("label", { for: "produce-value" }, "Value"), value),
      h("button", { type: "submit", id: "produce-submit" }, "Produce")));
    } catch (e) {
      fill(notice, errorLine(e));
    }
  })();

  let pending = null;
  const off = bus.on((kind) => {
    if (kind === "step") {
      clearTimeout(pending);
      pending = setTimeout(load, 200);  // new records after what is shown
    }
  });
  load();
  return () => {
    off();
    clearTimeout(pending);
  };
}
