"""`statefun dev -- CMD` in a project made by `statefun init`: the project's
module.yaml names the cluster host `functions`, and the one process started
after `--` serves it without any `--host` (issue 19.7)."""
import re
import shutil
import subprocess

import pytest

from harness import JS_GREETER, STATEFUN_BIN, free_ports
from test_dev_loop import dev_emulator, output


def init_js_greeter(stack):
    project = stack.root / "my-app"
    done = subprocess.run([STATEFUN_BIN, "init", project, "--lang", "js", "--template", "greeter"],
                          text=True, stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "http://functions:8000/statefun" in (project / "module.yaml").read_text()
    assert "functions: localhost" in (project / "statefun.yaml").read_text()
    # The pinned SDK, as `npm install` would put it there (the sample pins the same one).
    (project / "node_modules").symlink_to(JS_GREETER / "node_modules")
    return project


@pytest.mark.timeout(90)
@pytest.mark.parametrize("with_statefun_yaml", [True, False], ids=["hosts-map", "no-statefun-yaml"])
def test_dev_with_a_command_serves_an_init_project_without_host_flags(stack, with_statefun_yaml):
    project = init_js_greeter(stack)
    if not with_statefun_yaml:
        (project / "statefun.yaml").unlink()  # then `functions` is mapped by itself
    (port,) = free_ports(1)  # not 8000: other tests may hold it
    emulator = dev_emulator(stack, project / "module.yaml",
                            ["--color", "never", "--port", port, "--", "node", "functions.js"])
    emulator.cwd = project
    emulator.start()

    assert emulator.send("example/person/Bob", '{"name": "Bob"}', "example/GreetRequest") == 200
    emulator.wait_idle()
    status, body = emulator.pop("greetings")
    assert (status, body[:10]) == (200, b"Hello Bob!"), (status, body)
    assert emulator.state_int("example/person/Bob", "visits") == 1

    text = output(emulator)
    assert f"example/* → http://localhost:{port}/statefun  (functions)" in text, text
    assert not re.search(r"no function process here serves it", text), text
