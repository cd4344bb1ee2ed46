"""Where the real engine and `statefun dev` differ on purpose (README.md,
"Playground ingress and egress" and "Guarantees"). Each test states the
difference, checks that the real engine still behaves as documented in
shared notes and module-yaml.md (so the statement stays true), and checks our
documented behaviour on `statefun dev`."""
import pytest

from pair import harness
from playground import outcome, request
from test_semantics import MODULE, e2e_functions


@pytest.fixture(scope="module")
def pair(start_pair):
    return start_pair(MODULE, e2e_functions)


def raw_and_meant(method, url, body=None, typename="e2e/text"):
    raw, headers, _ = request(method, url, body, {"Content-Type": f"application/vnd.{typename}"})
    return raw, outcome(raw, headers)


def test_status_codes_real_vs_status_header(pair):
    """The playground answers HTTP 200 and hides the intended code in a
    `Status:` header; statefun dev answers with the real status (and 400, not
    500, for a bad ingress path)."""
    flink, dev = pair["flink"].playground, pair["dev"].playground
    cases = {  # name: (method, path on ingress or egress, real engine, statefun dev)
        "accepted": ("POST", flink.ingress + "/e2e/counter/s", (200, 200), (200, 200)),
        "bad path": ("POST", flink.ingress + "/e2e/counter", (200, 500), (400, 400)),
        "empty topic": ("GET", flink.egress + "/out", (200, 404), (404, 404)),
        "unknown topic": ("GET", flink.egress + "/nope", (200, 405), (405, 405)),
    }
    for name, (method, url, want_flink, want_dev) in cases.items():
        body = b"x" if method == "POST" else None
        got_flink = raw_and_meant(method, url, body)
        got_dev = raw_and_meant(method, url.replace(flink.ingress, dev.ingress)
                                .replace(flink.egress, dev.egress), body)
        assert (got_flink, got_dev) == (want_flink, want_dev), \
            f"{name}: real engine (raw, meant) {got_flink}, statefun dev {got_dev}"


def test_restart_real_engine_forgets_statefun_dev_keeps(pair):
    """The playground runs without checkpoints: after a restart all state is
    gone. statefun dev keeps state (and pending messages) across kill -9."""
    def count_twice(pg):
        pg.send("e2e/stateful/keep", "hi")
        pg.send("e2e/stateful/keep", "hi")
        return [r["seen"] for r in pg.take(2)]

    assert pair.both(count_twice) == {"flink": [None, 1], "dev": [None, 1]}
    pair.real.stop()
    pair.real.start()
    pair["dev"].engine.restart()  # kill -9, then start on the same data
    after = pair.both(lambda pg: (pg.send("e2e/stateful/keep", "hi"), pg.take(1)[0]["seen"])[1])
    assert after == {"flink": None, "dev": 2}


@pytest.fixture(scope="module")
def doomed_pair(start_pair):
    return start_pair(MODULE, e2e_functions)


def test_message_without_endpoint_kills_the_real_job_only(doomed_pair):
    """A message to a function type no endpoint serves fails the real job for
    good (no restart strategy); its ingress goes on accepting and every later
    message is lost. statefun dev holds such a message as unroutable (until an
    endpoint serves the type) and goes on with the others."""
    for side in ("flink", "dev"):
        doomed_pair[side].playground.send("nobody/home/1", "lost?")
    harness.wait_until(doomed_pair.real.job_ended, 30, "the real job to fail")
    assert "Cannot find a provider for type FunctionType(nobody, home)" \
        in doomed_pair.real.job_ended()

    dev = doomed_pair["dev"]
    harness.wait_until(lambda: dev.engine.status()["unroutable"] == 1, 10,
                       "statefun dev to hold the message as unroutable")
    for side in ("flink", "dev"):
        doomed_pair[side].playground.send("e2e/stateful/after", "hi")  # both accept it
    assert dev.playground.take(1) == [{"id": "after", "seen": None, "greeting": None}]
    doomed_pair["flink"].playground.quiet(for_seconds=1.0)
