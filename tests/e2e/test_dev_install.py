"""statefun.yaml `install:` steps (issue 19.10): they run before the command
only when their inputs changed - not on a hot reload, not when `statefun dev`
starts again - and while one runs the console says so, with how long it has
taken and its last output line, without blaming the process for not
listening yet."""
import re

import pytest

from harness import free_ports
from test_dev_loop import (COUNTER, NODE_MODULES, app_dir, dev_emulator, output, wait_for_output,
                           write_project)


def install_yaml(app, port, install):
    return "\n".join([
        "processes:",
        "  - name: app",
        f"    install: {install!r}",
        "    command: node dev_loop.js",
        f"    working_dir: {app}",
        "    env:",
        f"      PORT: '{port}'",
        f"      NODE_PATH: {str(NODE_MODULES)!r}",
        "    ready:",
        "      timeout: 1s",  # over long before the install is done
        "    watch: ['*.js']",
    ]) + "\n"


def installs(app):
    path = app / "installs.txt"
    return len(path.read_text().splitlines()) if path.exists() else 0


@pytest.mark.timeout(120)
def test_an_install_step_runs_only_when_its_inputs_change_and_shows_its_progress(stack):
    (port,) = free_ports(1)
    app = app_dir(stack, version="v1")
    (app / "package.json").write_text('{"name": "app"}\n')
    # Slow enough for a progress line (the first comes after 3 s).
    module = write_project(stack, port, install_yaml(
        app, port, "echo resolving packages; sleep 4; echo x >> installs.txt"))
    emulator = dev_emulator(stack, module, ["--color", "never"])
    emulator.start()
    wait_for_output(emulator, r"\[app\] ready in")
    text = output(emulator)
    assert "[app] installing (no install recorded yet): echo resolving packages;" in text, text
    assert re.search(r"\[app\] still installing, \d+\.\d s so far: resolving packages\n", text), text
    assert re.search(r"\[app\] installed in \d", text), text
    # The process was not started, so it was not called late.
    assert "not ready" not in text and "does it listen there" not in text, text
    assert text.index("[app] installed in") < text.index("[app] $ node dev_loop.js"), text
    assert installs(app) == 1
    assert emulator.send(COUNTER, "a", "dev/text") == 200
    assert emulator.pop_json() == {"id": "c", "count": 1, "version": "v1"}

    # A hot reload of the code: node restarts, the install does not run.
    (app / "version.js").write_text("module.exports = 'v2';\n")
    wait_for_output(emulator, r"\[app\] ready in", count=2)
    assert emulator.send(COUNTER, "b", "dev/text") == 200
    assert emulator.pop_json() == {"id": "c", "count": 2, "version": "v2"}
    assert installs(app) == 1

    # A changed dependency file (watched because it is an input) runs it again.
    (app / "package.json").write_text('{"name": "app", "dependencies": {}}\n')
    wait_for_output(emulator, r"\[app\] installing \(its inputs changed\)")
    wait_for_output(emulator, r"\[app\] ready in", count=3)
    assert installs(app) == 2

    # statefun dev starts again: the fingerprint in the data directory holds.
    assert emulator.stop() == 0
    emulator.start()
    wait_for_output(emulator, r"\[app\] ready in", count=4)
    assert installs(app) == 2
    assert emulator.send(COUNTER, "c", "dev/text") == 200
    assert emulator.pop_json()["count"] == 3


@pytest.mark.timeout(90)
def test_a_failed_install_shows_its_output_and_the_process_is_not_started(stack):
    (port,) = free_ports(1)
    app = app_dir(stack)
    (app / "package.json").write_text("{}\n")
    module = write_project(stack, port, install_yaml(
        app, port, "echo 'npm ERR! 404 Not Found - left-padd' >&2; exit 1"))
    emulator = dev_emulator(stack, module, ["--color", "never"])
    emulator.start()
    text = wait_for_output(emulator, r"\[app\]   \| npm ERR! 404")
    assert "[app] the install step exited with code 1 after" in text, text
    assert "[app] $ node dev_loop.js" not in text, text

    # Fixed: saving the input runs it again, then the process starts.
    (stack.root / "statefun.yaml").write_text(install_yaml(app, port, "true"))
    wait_for_output(emulator, r"\[app\] ready in")
    assert emulator.send(COUNTER, "a", "dev/text") == 200
    assert emulator.pop_json()["count"] == 1
