"""`statefun test`: scenario files run against a fresh `statefun dev` each
(with the app's statefun.yaml process, the official JS SDK test functions,
moved to free ports so scenarios run side by side), on a virtual clock:
pass, fail with a diff, JUnit XML, bad files and no files."""
import json
import os
import subprocess
import xml.etree.ElementTree as ElementTree

import pytest

from harness import E2E_FUNCTIONS, STATEFUN_BIN

MODULE = """kind: io.statefun.endpoints.v2/http
spec:
  functions: e2e/*
  urlPathTemplate: http://functions:8000/statefun
---
kind: io.statefun.playground.v1/ingress
spec:
  port: 8090
---
kind: io.statefun.playground.v1/egress
spec:
  port: 8091
  topics:
    - out
"""

STATEFUN_YAML = f"""hosts:
  functions: localhost
processes:
  - name: functions
    command: [node, "{E2E_FUNCTIONS / 'server.js'}"]
    env:
      PORT: "8000"
"""

PASSING = """name: a reminder an hour later
clock: 2027-01-01T00:00:00Z
steps:
  - send: {to: e2e/scheduler/s, type: e2e/json, value: {op: after, delay: 3600000, tag: ping}}
  - send: {to: e2e/counter/c, type: e2e/text, value: "one"}
  - expect state: {address: e2e/counter/c, name: count, value: 1}
  - expect no message: {topic: out}
  - advance: 2h
  - expect egress: {topic: out, value: {self: e2e/reporter/s, caller: e2e/scheduler/s, text: ping}}
  - expect no message: {}
"""

FAILING = """name: counts wrong
steps:
  - send: {to: e2e/counter/c, type: e2e/text, value: "one"}
  - expect state: {address: e2e/counter/c, name: count, value: 5}
  - expect egress: {topic: out, value: never reached}
"""


def app(tmp_path, scenarios):
    (tmp_path / "module.yaml").write_text(MODULE)
    (tmp_path / "statefun.yaml").write_text(STATEFUN_YAML)
    folder = tmp_path / "scenarios"
    folder.mkdir()
    for name, text in scenarios.items():
        (folder / name).write_text(text)
    return tmp_path


def statefun_test(cwd, *args, timeout=120):
    return subprocess.run([STATEFUN_BIN, "test", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "NO_COLOR": "1"},
                          stdin=subprocess.DEVNULL)


@pytest.mark.timeout(120)
def test_passing_and_failing_scenarios_side_by_side_with_junit(tmp_path):
    root = app(tmp_path, {"a-pass.yaml": PASSING, "b-fail.yaml": FAILING})
    junit = tmp_path / "report.xml"

    passed = statefun_test(root, "scenarios/a-pass.yaml")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "PASS a reminder an hour later (scenarios/a-pass.yaml)" in passed.stdout
    assert "1 passed, 0 failed" in passed.stdout

    both = statefun_test(root, "--json", "--junit", junit)
    assert both.returncode == 1, both.stdout + both.stderr
    report = json.loads(both.stdout)
    assert (report["passed"], report["failed"]) == (1, 1)
    failed = next(s for s in report["scenarios"] if not s["passed"])
    assert failed["name"] == "counts wrong"
    assert failed["failure"] == ("step 2 (expect state, line 4): e2e/counter/c state count differs")
    assert failed["details"][:2] == ["expected: 5", "actual:   1"]

    suite = ElementTree.parse(junit).getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert cases["a reminder an hour later"].find("failure") is None
    failure = cases["counts wrong"].find("failure")
    assert failure.get("message").startswith("step 2 (expect state, line 4)")
    assert "expected: 5" in failure.text

    human = statefun_test(root)
    assert human.returncode == 1
    assert "FAIL counts wrong (scenarios/b-fail.yaml)" in human.stdout
    assert "    expected: 5\n    actual:   1\n" in human.stdout


@pytest.mark.timeout(30)
def test_a_bad_scenario_file_is_a_usage_error_and_no_files_is_not_found(tmp_path):
    root = app(tmp_path, {"bad.yaml": "steps:\n  - sned: {to: e2e/counter/c, value: 1}\n"})
    bad = statefun_test(root)
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0
    assert "bad.yaml:2:5" in bad.stderr and "(did you mean \"send\"?)" in bad.stderr

    (root / "scenarios" / "bad.yaml").unlink()
    none = statefun_test(root)
    assert none.returncode == 3
    assert "no scenario files" in none.stderr


@pytest.mark.timeout(60)
def test_a_function_process_that_dies_at_start_fails_the_scenario_at_once(tmp_path):
    """A process that crashed before the app was ready (a missing module, a
    syntax error) left `statefun test` waiting, silent, for its five-minute
    start-up limit while the dev restarted it."""
    root = app(tmp_path, {"a-pass.yaml": PASSING})
    (root / "statefun.yaml").write_text(STATEFUN_YAML.replace(
        f'[node, "{E2E_FUNCTIONS / "server.js"}"]',
        '[node, -e, "console.error(\\"cannot load the handlers\\"); process.exit(3)"]'))
    assert "process.exit(3)" in (root / "statefun.yaml").read_text()
    run = statefun_test(root, timeout=50)
    assert run.returncode == 1, run.stdout + run.stderr
    assert ("starting statefun dev: function process functions exited with code 3 before it "
            "was ready") in run.stdout, run.stdout
    assert "cannot load the handlers" in run.stdout, run.stdout
