#!/usr/bin/env python3
"""The torture loop: kill -9 `statefun dev` again and again under load, then
check exactly-once per message id.

Load, from threads, while the emulator is killed and restarted `--kills`
times on the same data directory:
  - senders PUT messages with unique ids to e2e/ledger/<k> through the
    playground ingress (the JS SDK function counts them in state `count` and
    egresses {ledger, m, n} for each);
  - schedulers PUT {op: "after", delay, tag} to e2e/scheduler/<k>: a delayed
    message to e2e/reporter, which egresses {self, caller, text: tag} when
    it fires (delays up to 1.5 s, so some fall due while statefun is down);
  - poppers GET the playground egress topic `out`, consuming records.

A request answered 200 is acknowledged; one that fails at the connection
(the kill) is in doubt: it may or may not have taken effect. At the end,
with the load stopped, everything idle and every timer fired, the complete
egress log (the admin API reads popped records too) must show:
  - every acknowledged message id exactly once, in-doubt ids at most once,
    no id that was never sent (nothing lost, nothing applied twice);
  - each ledger's `count` equal to its records (state applied once too);
  - every acknowledged delayed message fired exactly once, in-doubt ones at
    most once;
  - every record marked popped received by a popper (nothing lost), and
    none served twice except once more after a kill: a record whose
    response was written just before the kill, while its consumption had
    not committed, is served again after the restart (at least once across
    crashes, README "The playground egress"). So a record reaches poppers
    at most twice, and no more records twice than kills times poppers.

Usage (the binary from STATEFUN_BIN or ./build/cli/statefun):
  tests/torture/torture.py --kills 20            # what ctest runs (about 30 s)
  tests/torture/torture.py --kills 200 --json    # a long run; figures as JSON
  STATEFUN_TORTURE_KILLS=200 ctest --test-dir build -R torture

Exit 0 when every check holds, 1 when one fails (each failure is printed).
"""
import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "e2e"))

from harness import HarnessError, Stack, wait_until  # noqa: E402

LEDGERS = 8
SCHEDULERS = 4
MAX_DELAY_MS = 1500


class Load:
    """The threads that send, schedule and pop, and what each request got."""

    def __init__(self, emulator, seed, senders, schedulers, poppers):
        self.emulator = emulator
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked, self.in_doubt = set(), set()            # ledger message ids
        self.timers_acked, self.timers_in_doubt = set(), set()  # delayed message tags
        self.popped = []             # payloads received by poppers
        self.pops_in_doubt = 0       # pops that failed at the connection
        self.refused = 0             # answered but not 200 (e.g. 503 while stopping)
        self.threads = []
        for i in range(senders):
            self.threads.append(threading.Thread(target=self._send_loop, args=(i, seed), daemon=True))
        for i in range(schedulers):
            self.threads.append(threading.Thread(target=self._schedule_loop, args=(i, seed),
                                                 daemon=True))
        for _ in range(poppers):
            self.threads.append(threading.Thread(target=self._pop_loop, daemon=True))

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(30)

    def _put(self, address, body, typename, ok_set, doubt_set, key):
        try:
            status = self.emulator.send(address, body, typename)
        except ConnectionRefusedError:
            time.sleep(0.02)  # never reached statefun (it is down): not sent
            return
        except OSError:
            with self.lock:
                doubt_set.add(key)  # reached it, and the kill cut the answer off
            time.sleep(0.02)
            return
        with self.lock:
            if status == 200:
                ok_set.add(key)
            else:
                # Not acknowledged: it may still have been committed (503 while
                # shutting down is refused before commit, but count it as in
                # doubt rather than assume).
                doubt_set.add(key)
                self.refused += 1

    def _send_loop(self, index, seed):
        rng = random.Random(seed * 1000 + index)
        n = 0
        while not self.stop.is_set():
            n += 1
            message_id = f"s{index}-{n}"
            self._put(f"e2e/ledger/l{rng.randrange(LEDGERS)}", message_id, "e2e/text",
                      self.acked, self.in_doubt, message_id)

    def _schedule_loop(self, index, seed):
        rng = random.Random(seed * 1000 + 500 + index)
        n = 0
        while not self.stop.is_set():
            n += 1
            tag = f"t{index}-{n}"
            command = {"op": "after", "delay": rng.randrange(MAX_DELAY_MS), "tag": tag}
            self._put(f"e2e/scheduler/k{rng.randrange(SCHEDULERS)}", command, "e2e/json",
                      self.timers_acked, self.timers_in_doubt, tag)
            time.sleep(0.01)

    def _pop_loop(self):
        while not self.stop.is_set():
            try:
                status, body = self.emulator.pop("out")
            except ConnectionRefusedError:
                time.sleep(0.02)  # statefun is down: nothing was asked
                continue
            except OSError:
                with self.lock:
                    self.pops_in_doubt += 1
                time.sleep(0.02)
                continue
            if status == 200:
                with self.lock:
                    self.popped.append(body.decode())
            else:
                time.sleep(0.005)


def egress_log(emulator):
    """Every record of topic `out`, popped or not, oldest first."""
    records, offset = [], 0
    while True:
        status, body = emulator.admin(f"/v1/egress/out?from={offset}&limit=1000")
        if status != 200:
            raise HarnessError(f"/v1/egress/out answered {status}: {body!r}")
        page = json.loads(body)
        records += page["records"]
        if not page["records"]:
            return records
        offset = page["next"]


def drain(emulator):
    """Pops every record left -> payloads."""
    payloads = []
    while True:
        status, body = emulator.pop("out")
        if status == 404:
            return payloads
        if status != 200:
            raise HarnessError(f"egress GET /out answered {status}: {body!r}")
        payloads.append(body.decode())


def check(load, log, drained, counts, kills, poppers):
    """-> (figures, failures)."""
    failures = []
    ledger = Counter()
    fired = Counter()
    per_ledger = Counter()
    for record in log:
        value = json.loads(record["payload"])
        if "ledger" in value:
            ledger[value["m"]] += 1
            per_ledger[value["ledger"]] += 1
        else:
            fired[value["text"]] += 1

    def exactly_once(seen, acked, in_doubt, what):
        lost = sorted(i for i in acked if seen[i] == 0)
        twice = sorted(i for i, c in seen.items() if c > 1)
        phantom = sorted(i for i in seen if i not in acked and i not in in_doubt)
        if lost:
            failures.append(f"{len(lost)} acknowledged {what} lost, e.g. {lost[:5]}")
        if twice:
            failures.append(f"{len(twice)} {what} applied more than once, e.g. {twice[:5]}")
        if phantom:
            failures.append(f"{len(phantom)} {what} never sent appear, e.g. {phantom[:5]}")
        return len(lost), len(twice), sum(1 for i in in_doubt if seen[i] > 0)

    lost, twice, doubt_applied = exactly_once(ledger, load.acked, load.in_doubt, "messages")
    timers_lost, timers_twice, timers_doubt = exactly_once(
        fired, load.timers_acked, load.timers_in_doubt, "delayed messages")

    for name, count in counts.items():
        if count != per_ledger[name]:
            failures.append(f"e2e/ledger/{name}: state count {count} but {per_ledger[name]} "
                            "records: state and egress disagree")

    # Pops: nothing lost; served twice only around a kill (see the top).
    popped = Counter(load.popped + drained)
    popped_twice = sorted(p for p, c in popped.items() if c == 2)
    popped_more = sorted(p for p, c in popped.items() if c > 2)
    if popped_more:
        failures.append(f"{len(popped_more)} egress records popped more than twice, e.g. "
                        f"{popped_more[:3]}")
    if len(popped_twice) > kills * poppers:
        failures.append(f"{len(popped_twice)} egress records popped twice, more than "
                        f"{kills} kills x {poppers} poppers, e.g. {popped_twice[:3]}")
    payloads = Counter(r["payload"] for r in log)
    never_received = [r["payload"] for r in log if popped[r["payload"]] == 0]
    if len(payloads) != len(log):
        failures.append("two egress records with the same payload: the check cannot tell them apart")
    unpopped_left = [r for r in log if not r["popped"]]
    if unpopped_left:
        failures.append(f"{len(unpopped_left)} records still unpopped after the drain")
    pops_lost = len(never_received)
    if pops_lost:
        failures.append(f"{pops_lost} popped records never received, e.g. {never_received[:3]}")

    figures = {
        "messages_acknowledged": len(load.acked),
        "messages_in_doubt": len(load.in_doubt),
        "messages_in_doubt_applied": doubt_applied,
        "messages_lost": lost,
        "messages_duplicated": twice,
        "delayed_acknowledged": len(load.timers_acked),
        "delayed_in_doubt": len(load.timers_in_doubt),
        "delayed_in_doubt_fired": timers_doubt,
        "delayed_lost": timers_lost,
        "delayed_fired_twice": timers_twice,
        "records": len(log),
        "pops": len(load.popped) + len(drained),
        "pops_in_doubt": load.pops_in_doubt,
        "pops_lost": pops_lost,
        "popped_twice_after_kill": len(popped_twice),
        "refused": load.refused,
    }
    return figures, failures


def run(args):
    rng = random.Random(args.seed)
    root = Path(tempfile.mkdtemp(prefix="statefun-torture-"))
    stack = Stack(root)
    started = time.monotonic()
    try:
        functions = stack.test_functions()
        emulator = stack.emulator({"e2e/*": functions.url()}, start=False)
        emulator.cmd.append("-q")  # no line per step: the log would hold every one
        emulator.start()
        load = Load(emulator, args.seed, args.senders, args.schedulers, args.poppers)
        load.start()
        for kill in range(args.kills):
            time.sleep(rng.uniform(args.min_run, args.max_run))
            emulator.kill9()
            emulator.start()
            if args.verbose:
                print(f"kill {kill + 1}/{args.kills}: {len(load.acked)} acknowledged", flush=True)
        time.sleep(args.max_run)
        load.finish()
        # Everything idle and every delayed message fired, then the log.
        emulator.wait_idle(timeout=120)
        wait_until(lambda: emulator.status()["timers"] == 0, 60, "every delayed message to fire")
        emulator.wait_idle(timeout=120)
        drained = drain(emulator)
        log = egress_log(emulator)
        counts = {}
        for k in range(LEDGERS):
            value = emulator.state_int(f"e2e/ledger/l{k}", "count")
            if value is not None:
                counts[f"l{k}"] = value
        figures, failures = check(load, log, drained, counts, args.kills, args.poppers)
        figures = {"kills": args.kills, "seconds": round(time.monotonic() - started, 1),
                   "seed": args.seed, **figures}
        return figures, failures
    finally:
        stack.close()
        if args.keep:
            print(f"torture: data and logs kept in {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int,
                        default=int(os.environ.get("STATEFUN_TORTURE_KILLS", "20")),
                        help="kill -9 this many times (default 20, env STATEFUN_TORTURE_KILLS)")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("STATEFUN_TORTURE_SEED",
                                                                       "1")))
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--schedulers", type=int, default=1)
    parser.add_argument("--poppers", type=int, default=2)
    parser.add_argument("--min-run", type=float, default=0.2,
                        help="least seconds of load between restart and kill")
    parser.add_argument("--max-run", type=float, default=0.8)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the data and logs")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    figures, failures = run(args)
    if args.json:
        print(json.dumps({**figures, "failures": failures}, indent=2))
    else:
        print(" ".join(f"{k}={v}" for k, v in figures.items()))
        for failure in failures:
            print(f"FAILED: {failure}")
        print("torture: ok" if not failures else f"torture: {len(failures)} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
