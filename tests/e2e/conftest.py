"""Fixtures for the end-to-end tests: the real `statefun` binary against real
function processes written with the official StateFun SDKs."""
import os

import pytest

from harness import STATEFUN_BIN, Stack

# Every test must be bounded in time; this is the fallback for a test that
# forgot its own @pytest.mark.timeout.
DEFAULT_TIMEOUT = 120


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(DEFAULT_TIMEOUT))


@pytest.fixture(scope="session")
def statefun_bin():
    if not os.access(STATEFUN_BIN, os.X_OK):
        pytest.fail(f"statefun binary not found at {STATEFUN_BIN} (set STATEFUN_BIN)")
    return STATEFUN_BIN


@pytest.fixture
def stack(tmp_path, statefun_bin):
    """A Stack in the test's tmp dir; every process it started is killed at
    the end, whatever happened."""
    s = Stack(tmp_path)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture(params=["js", "cpp"])
def impl(request):
    """Which implementation of the e2e test functions a test runs against:
    the official JS SDK or our C++ SDK. Tests that take this fixture run once
    with each and expect the same observable results (the conformance suite)."""
    return request.param


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, attach every captured process log to the report."""
    outcome = yield
    report = outcome.get_result()
    s = item.funcargs.get("stack") if hasattr(item, "funcargs") else None
    if report.failed and isinstance(s, Stack):
        for title, text in s.log_sections():
            report.sections.append((f"log: {title}", text or "(empty)"))
