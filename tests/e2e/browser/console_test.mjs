// Drives the web console of a running `statefun dev` (CONSOLE_URL) in
// Debian's chromium (CHROMIUM), headless, with a fresh profile
// (USER_DATA_DIR), and checks what a user sees: the overview with the
// function process and live updates as messages flow, a stuck message with
// its printed reason dropped from the page, a message sent from the form
// reaching egress, the message flow graph with live counts and an edge's
// messages opening their causal trees, an entity's timeline with each
// version and a version's causal tree, a rewind from
// the page changing the state, a timer delivered from the page, an egress
// topic read without consuming, a snapshot taken, diffed and restored, a
// state edited in place and a replay from an old version.
// Saves screenshots in SHOTS. Exits non-zero
// naming the first check that failed. Started by ../test_web_console.py,
// which runs statefun dev with functions/dev_loop.js (dev/counter: +1 per
// message, egress {id, count} to topic `out`, throws on the text "throw").
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

const base = process.env.CONSOLE_URL;
const shots = process.env.SHOTS;
mkdirSync(shots, { recursive: true });
const TIMEOUT = 15000;

async function api(method, path, body) {
  const res = await fetch(new URL(path, base), {
    method, headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}
const send = (id, text) => api("POST", "/v1/messages", { address: `dev/counter/${id}`, typename: "dev/text", text });

function check(condition, what) {
  if (!condition) throw new Error(`check failed: ${what}`);
}

const context = await chromium.launchPersistentContext(process.env.USER_DATA_DIR, {
  executablePath: process.env.CHROMIUM,
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  viewport: { width: 1200, height: 800 },
  colorScheme: "light",
});
context.setDefaultTimeout(TIMEOUT);
const page = context.pages()[0] || await context.newPage();
const problems = [];
page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
page.on("console", (m) => { if (m.type() === "error") problems.push(`console error: ${m.text()}`); });

try {
  // Overview: the process statefun dev runs, then live updates as messages flow.
  await page.goto(base);
  await page.locator('#processes-table tr[data-process="app"] .state-ready').waitFor();
  await page.locator("#live[data-state=live]").waitFor();
  const stepsBefore = Number(await page.locator("#steps .n").textContent());
  for (let i = 0; i < 3; i++) await send("a", `hello ${i}`);
  await page.locator('#types-table tr[data-type="dev/counter"]').waitFor();
  // The latest steps arrive over the event stream, one line each.
  for (let step = stepsBefore + 1; step <= stepsBefore + 3; step++) {
    await page.locator(`#recent li[data-step="${step}"]`, { hasText: "dev/counter/a" }).waitFor();
  }
  check(Number(await page.locator('#types-table tr[data-type="dev/counter"] [data-col="in"]').textContent()) > 0,
    "the overview shows a live rate for dev/counter");
  await page.screenshot({ path: `${shots}/web-console-overview.png`, fullPage: true });
  console.log("overview: process ready, steps and rates updated live");

  // Stuck: a throwing message shows with what the process printed; Drop removes it.
  await send("t", "throw");
  await page.click('nav a[data-page="stuck"]');
  const card = page.locator('article[data-address="dev/counter/t"]');
  await card.locator(".reason").waitFor();
  await card.locator(".output", { hasText: "cannot count 'throw' for t" }).waitFor();
  await page.locator("#stuck-count", { hasText: "1" }).waitFor();
  await page.screenshot({ path: `${shots}/web-console-stuck.png`, fullPage: true });
  await card.locator('button[data-action="drop"]').click();
  await card.waitFor({ state: "detached" });
  await page.locator("#nothing-stuck").waitFor();
  await page.locator("#dead-letters tr[data-dead-letter]").first().waitFor();
  await page.locator("#stuck-count").waitFor({ state: "hidden" });  // the badge follows
  const inbox = await api("GET", "/v1/inbox?address=dev/counter/t");
  check(inbox.messages.length === 0, "the dropped message left the inbox");
  console.log("stuck: reason and output shown, dropped from the page");

  // Send: the form's message reaches egress, shown in what it caused.
  await page.click('nav a[data-page="send"]');
  await page.fill("#send-address", "dev/counter/s");
  await page.fill("#send-typename", "dev/text");
  await page.selectOption("#send-kind", "text");
  await page.fill("#send-body", "from the form");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");  // keyboard: focus is on Send
  await page.locator("#send-result [data-outcome=settled]").waitFor();
  await page.locator('#send-tree li[data-topic="out"]', { hasText: '"id":"s"' }).waitFor();
  const out = await api("GET", "/v1/egress/out");
  check(out.records.some((r) => JSON.parse(r.payload).id === "s"), "the sent message reached egress topic out");
  await page.screenshot({ path: `${shots}/web-console-send.png`, fullPage: true });
  console.log("send: the message reached egress");

  // Flow: sources, types and topics as a graph with counts; an edge lists
  // its newest messages, each opening its causal tree; counts follow live.
  await page.click('nav a[data-page="flow"]');
  const sentEdge = page.locator('#flow-table tr[data-edge="admin>fn:dev/counter>message"]');
  await sentEdge.waitFor();
  const sentBefore = Number(await sentEdge.locator(".num").textContent());
  check(sentBefore >= 5, `the flow counts the 5 messages sent so far (${sentBefore})`);
  await page.locator('#flow-graph g[data-edge="fn:dev/counter>egress:out>egress"]').waitFor();
  await page.locator('#flow-graph g[data-node="fn:dev/counter"]').waitFor();
  await send("f", "flowing");
  await page.locator('#flow-table tr[data-edge="admin>fn:dev/counter>message"] .num',
    { hasText: String(sentBefore + 1) }).waitFor();
  await page.locator('#flow-graph g[data-edge="admin>fn:dev/counter>message"]').focus();
  await page.keyboard.press("Enter");  // keyboard: an edge is a button
  const newest = page.locator("#flow-recent a[data-message]").first();
  await newest.waitFor();
  await page.screenshot({ path: `${shots}/web-console-flow.png`, fullPage: true });
  await newest.click();
  await page.locator('#causal-tree li.focus', { hasText: "dev/counter/f" }).waitFor();
  await page.locator('#causal-tree li[data-topic="out"]', { hasText: '"id":"f"' }).waitFor();
  console.log("flow: edges with counts, updated live; an edge's message opens its tree");

  // Entities: search, then the timeline has every version; rewind with a dry run first.
  await page.click('nav a[data-page="entities"]');
  await page.fill("#entity-search", "dev/counter/");
  await page.locator('#entity-results tr[data-address="dev/counter/a"] a').click();
  for (const version of [1, 2, 3]) {
    await page.locator(`#timeline li[data-version="${version}"]`, { hasText: `version ${version}` }).waitFor();
  }
  await page.locator('#state-table tr[data-state="count"] pre', { hasText: "3" }).waitFor();
  await page.screenshot({ path: `${shots}/web-console-entity.png`, fullPage: true });
  // A version's step opens the causal tree it belongs to, from its root.
  await page.locator('#timeline li[data-version="2"] a[data-action="tree"]').click();
  await page.locator('#causal-tree li.focus', { hasText: "hello 1" }).waitFor();
  await page.locator('#causal-tree li[data-topic="out"]', { hasText: '"count":2' }).waitFor();
  await page.screenshot({ path: `${shots}/web-console-tree.png`, fullPage: true });
  await page.goBack();
  await page.locator('#timeline li[data-version="1"]').waitFor();
  await page.locator('#timeline li[data-version="1"] button[data-action="rewind"]').click();
  await page.locator("#rewind-diff").waitFor();
  await page.screenshot({ path: `${shots}/web-console-rewind.png`, fullPage: true });
  const afterDry = await api("GET", "/v1/state/dev/counter/a/count");
  check(afterDry.state.value === 3, `the dry run changed nothing (count is ${afterDry.state.value})`);
  await page.click("#apply-rewind");
  await page.locator('#timeline li[data-version="4"]').waitFor();
  await page.locator('#state-table tr[data-state="count"] pre', { hasText: /^1$/ }).waitFor();
  const rewound = await api("GET", "/v1/state/dev/counter/a/count");
  check(rewound.state.value === 1, `the rewind set count to 1 (it is ${rewound.state.value})`);
  console.log("entity: timeline shows versions 1-3; rewind to 1 applied");

  // Timers: a pending timer is listed with its token; "Deliver now" runs it.
  const count = async (id) => (await api("GET", `/v1/state/dev/counter/${id}/count`)).state.value;
  const until = async (what, predicate) => {
    for (const started = Date.now(); Date.now() - started < TIMEOUT;) {
      if (await predicate()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`check failed: ${what}`);
  };
  await send("tm", "later");
  await page.click('nav a[data-page="timers"]');
  const timer = page.locator("#timers-table tr[data-timer]", { hasText: "dev/counter/tm" });
  await timer.locator("code", { hasText: "later-tm" }).waitFor();
  await page.screenshot({ path: `${shots}/web-console-timers.png`, fullPage: true });
  await timer.locator('button[data-action="fire"]').click();
  await page.locator("#no-timers").waitFor();
  await until("the delivered timer counted (count 2 for tm)", async () => (await count("tm")) === 2);
  console.log("timers: listed with its token, delivered from the page");

  // Topics: the egress topic's records, read without consuming them.
  const unpopped = async () => (await api("GET", "/v1/egress")).topics.find((t) => t.topic === "out").unpopped;
  const unpoppedBefore = await unpopped();
  await page.click('nav a[data-page="topics"]');
  await page.locator('#egress-topics tr[data-topic="out"] a').click();
  await page.locator("#records-table tr[data-offset]", { hasText: '"id":"tm"' }).first().waitFor();
  check(await unpopped() === unpoppedBefore, "reading a topic in the console consumed nothing");
  await page.screenshot({ path: `${shots}/web-console-topics.png`, fullPage: true });
  console.log("topics: egress records read, nothing consumed");

  // Snapshots: take one, change the state, see the difference, restore it.
  await page.click('nav a[data-page="snapshots"]');
  await page.fill("#snapshot-name", "before-more");
  await page.click("#snapshot-take");
  const snapshot = page.locator('#snapshots-table tr[data-snapshot="before-more"]');
  await snapshot.waitFor();
  await send("tm", "more");
  await until("the message after the snapshot counted (count 3 for tm)", async () => (await count("tm")) === 3);
  await snapshot.locator('button[data-action="diff"]').click();
  await page.locator('#snapshot-diff tr[data-address="dev/counter/tm"][data-state="count"]').waitFor();
  await page.screenshot({ path: `${shots}/web-console-snapshots.png`, fullPage: true });
  const restore = page.locator('#snapshots-table tr[data-snapshot="before-more"] button[data-action="restore"]');
  await restore.click();
  check(await count("tm") === 3, "the first click on restore only asks");
  await restore.click();
  await until("the restore brought count back to 2 for tm", async () => (await count("tm")) === 2);
  await page.locator("#snapshots-table tr[data-snapshot^=before-restore-]").waitFor();
  console.log("snapshots: taken, diffed, restored from the page");

  // Edit a state in place (the type's notation: an int), then replay from
  // version 1: the dry run first, which changes nothing, then Apply.
  await page.click('nav a[data-page="entities"]');
  await page.fill("#entity-search", "dev/counter/a");
  await page.locator('#entity-results tr[data-address="dev/counter/a"] a').click();
  await page.locator('#state-table tr[data-state="count"] button[data-action="edit"]').click();
  await page.fill("#edit-count", "7");
  await page.locator('#state-table tr[data-state="count"] button[data-action="save"]').click();
  await page.locator('#state-table tr[data-state="count"] pre', { hasText: /^7$/ }).waitFor();
  check(await count("a") === 7, "the edit from the page wrote 7");
  await page.locator('#timeline li[data-version="1"] button[data-action="replay"]').click();
  await page.locator("#replay-diff").waitFor();
  check(await count("a") === 7, "the replay dry run changed nothing");
  await page.screenshot({ path: `${shots}/web-console-replay.png`, fullPage: true });
  await page.click("#apply-replay");
  await until("the replay from version 1 counted hello 1 and 2 again (count 3 for a)",
    async () => (await count("a")) === 3);
  console.log("entity: state edited in place; replay dry run, then applied");

  // Dark, and a narrow window: nothing wider than the window.
  await page.emulateMedia({ colorScheme: "dark" });
  await page.setViewportSize({ width: 380, height: 760 });
  await page.click('nav a[data-page="overview"]');
  await page.locator('#processes-table tr[data-process="app"]').waitFor();
  const [scrollWidth, innerWidth, background] = await page.evaluate(() =>
    [document.documentElement.scrollWidth, window.innerWidth, getComputedStyle(document.body).backgroundColor]);
  check(scrollWidth <= innerWidth, `a 380 px window needs no sideways scroll (page is ${scrollWidth} px)`);
  check(background === "rgb(21, 23, 26)", `dark mode has the dark background (${background})`);
  await page.screenshot({ path: `${shots}/web-console-narrow-dark.png`, fullPage: true });
  console.log("narrow dark window: fits");

  check(problems.length === 0, `no errors in the page: ${problems.join("; ")}`);
} catch (e) {
  await page.screenshot({ path: `${shots}/failure.png`, fullPage: true }).catch(() => {});
  console.error(e.message);
  console.error(problems.join("\n"));
  process.exitCode = 1;
} finally {
  await context.close();
}
