"""The web console of `statefun dev` in a real browser: Debian's chromium,
headless, driven by playwright-core (browser/console_test.mjs) against the
real binary running the official-JS-SDK dev-loop functions
(functions/dev_loop.js) as its own process. The script checks the pages;
this file starts everything and checks the console's HTTP rules."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from harness import REPO, HarnessError, free_ports, http
from test_dev_loop import app_dir, app_process_yaml, dev_emulator, wait_for_output, write_project

BROWSER_DIR = Path(__file__).parent / "browser"
CHROMIUM = os.environ.get("STATEFUN_CHROMIUM", "/usr/bin/chromium")


def console_app(stack, env=None):
    (port,) = free_ports(1)
    module = write_project(stack, port, app_process_yaml(app_dir(stack), port))
    emulator = dev_emulator(stack, module, ["--color", "never"], env=env)
    emulator.start()
    wait_for_output(emulator, r"\[app\] ready in")
    return emulator


@pytest.mark.timeout(300)
def test_the_console_shows_live_processes_stuck_messages_send_and_an_entity_timeline(stack, tmp_path):
    if not (BROWSER_DIR / "node_modules" / "playwright-core").exists():
        raise HarnessError(f"{BROWSER_DIR}/node_modules is missing; run scripts/setup.sh")
    if not os.access(CHROMIUM, os.X_OK):
        raise HarnessError(f"{CHROMIUM} is missing; run scripts/setup.sh (Debian package chromium)")
    emulator = console_app(stack)
    url = f"http://127.0.0.1:{emulator.admin_port}/"
    assert f"console    {url}" in emulator.output()

    shots = tmp_path / "screenshots"
    env = {**os.environ, "CONSOLE_URL": url, "CHROMIUM": CHROMIUM, "SHOTS": str(shots),
           "USER_DATA_DIR": str(tmp_path / "chromium-profile")}
    # About 6 s on an idle machine; a starved one (CI builds beside it) has
    # taken 110 s, so the budget is wide.
    run = subprocess.run(["node", str(BROWSER_DIR / "console_test.mjs")], env=env,
                         capture_output=True, text=True, timeout=280)
    assert run.returncode == 0, f"console_test.mjs failed:\n{run.stdout}\n{run.stderr}"
    # STATEFUN_UPDATE_SCREENSHOTS=1 refreshes the pictures of docs/web-console.md.
    if os.environ.get("STATEFUN_UPDATE_SCREENSHOTS") == "1":
        for shot in shots.glob("*.png"):
            shutil.copy(shot, REPO / "docs" / "images" / shot.name)


def test_the_console_is_served_under_the_admin_api_rules(stack):
    emulator = console_app(stack)
    base = f"http://127.0.0.1:{emulator.admin_port}"
    status, page = http("GET", base + "/")
    assert status == 200 and b"statefun dev console" in page
    status, script = http("GET", base + "/console/app.js")
    assert status == 200 and b"followEvents" in script
    # A DNS-rebinding page reaches us under another name: refused.
    status, body = http("GET", base + "/", headers={"Host": "evil.example:80"})
    assert status == 403, body
    status, body = http("GET", base + "/console/../module.yaml")
    assert status == 404, body
    status, body = http("GET", base + "/console/nothing.js")
    assert status == 404 and b"no console file" in body
    # What the page's own writes look like passes; another origin's does not.
    origin = {"Origin": base, "Content-Type": "application/json"}
    status, _ = http("POST", base + "/v1/messages",
                     b'{"address": "dev/counter/o", "typename": "dev/text", "text": "x"}', origin)
    assert status == 200
    status, _ = http("POST", base + "/v1/messages",
                     b'{"address": "dev/counter/o", "typename": "dev/text", "text": "x"}',
                     {**origin, "Origin": "http://evil.example"})
    assert status == 403


def test_with_a_token_the_files_are_served_and_the_data_is_not(stack):
    emulator = console_app(stack, env={"STATEFUN_ADMIN_TOKEN": "s3cret"})
    base = f"http://127.0.0.1:{emulator.admin_port}"
    # A browser opening the URL cannot send the token: the page (no data) loads and asks for it.
    status, page = http("GET", base + "/")
    assert status == 200 and b"statefun dev console" in page
    status, _ = http("GET", base + "/console/api.js")
    assert status == 200
    status, _ = http("GET", base + "/v1/status")
    assert status == 401
    status, _ = http("GET", base + "/v1/status", headers={"Authorization": "Bearer s3cret"})
    assert status == 200
    status, _ = http("GET", base + "/", headers={"Host": "evil.example"})
    assert status == 403
