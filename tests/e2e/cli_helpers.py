"""Running the shell commands (`statefun send|state|egress|timers|trace|wait|
status`) against an emulator of the harness, and reading their output."""
import json
import os
import subprocess

from harness import STATEFUN_BIN, HarnessError

CLI_TIMEOUT = 30.0


def cli(emulator, *args, input=None, env=None, timeout=CLI_TIMEOUT, offline_data=True):
    """Run `statefun ARGS` pointed at `emulator` (its admin port and, for the
    offline fallback, its data directory) -> CompletedProcess (text)."""
    command = [STATEFUN_BIN, *map(str, args)]
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    full_env["STATEFUN_ADMIN_PORT"] = str(emulator.admin_port)
    if offline_data:
        full_env["STATEFUN_DATA"] = str(emulator.data_dir)
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              input=input, env=full_env,
                              stdin=None if input is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired as expired:
        raise HarnessError(f"statefun {' '.join(map(str, args))} still running after {timeout:g}s")


def ok(result):
    """Assert exit code 0 and return stdout."""
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr!r} {result.stdout!r}"
    return result.stdout


def ok_json(result):
    return json.loads(ok(result))


def one_line_error(result, code):
    """Assert exit `code` with exactly one line on stderr; return that line."""
    assert result.returncode == code, (
        f"expected exit {code}, got {result.returncode}: {result.stderr!r} {result.stdout!r}")
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected a one-line error, got {result.stderr!r}"
    return lines[0]
