"""Fixtures for the parity suite: each test module's module.yaml runs on the
real StateFun engine and on `statefun dev`, started once per test module
(a JVM start costs seconds) and compared scenario by scenario."""
import os

import pytest

import engine
from pair import Pair, harness

DEFAULT_TIMEOUT = 180


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(DEFAULT_TIMEOUT))


def pytest_sessionstart(session):
    """No Java or Maven: stop at once with one line saying which. The suite
    must not pass (nor skip) where it cannot run the real engine."""
    try:
        engine.require_tools()
    except engine.ToolMissing as missing:
        pytest.exit(str(missing), returncode=1)


@pytest.fixture(scope="session")
def launcher():
    """The real engine's classpath. Missing Java or Maven fails the suite,
    loudly and in one line: it must not pass by skipping."""
    try:
        return engine.ensure_launcher()
    except engine.ToolMissing as missing:
        pytest.fail(str(missing), pytrace=False)


@pytest.fixture(scope="session")
def statefun_bin():
    if not os.access(harness.STATEFUN_BIN, os.X_OK):
        pytest.fail(f"statefun binary not found at {harness.STATEFUN_BIN} (set STATEFUN_BIN)",
                    pytrace=False)
    return harness.STATEFUN_BIN


@pytest.fixture(scope="module")
def start_pair(tmp_path_factory, launcher, statefun_bin):
    """start_pair(module_text, function_factory) -> Pair; stopped at the end
    of the test module."""
    started = []

    def start(module_text, function_factory, dev_args=()):
        pair = Pair.start(tmp_path_factory.mktemp("pair"), module_text, function_factory,
                          dev_args)
        started.append(pair)
        return pair

    yield start
    for pair in started:
        pair.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, attach every process log of the test's pair."""
    outcome = yield
    report = outcome.get_result()
    pair = item.funcargs.get("pair") if hasattr(item, "funcargs") else None
    if report.failed and isinstance(pair, Pair):
        for title, text in pair.logs():
            report.sections.append((f"log: {title}", text or "(empty)"))


def pytest_terminal_summary(terminalreporter):
    """The real engine's start-up figures, for the README and CI's log."""
    if engine.START_SECONDS:
        times = sorted(engine.START_SECONDS)
        terminalreporter.write_line(
            f"parity: real engine started {len(times)} times; java to running job "
            f"min {times[0]:.1f} s, median {times[len(times) // 2]:.1f} s, max {times[-1]:.1f} s")
