"""Shell completion from the running emulator and from its data directory
(issue 19.11): the real bash script of `statefun completion bash` is sourced
and its function called as bash calls it on TAB; it asks `statefun
__complete`, which answers with addresses, state names, topics, timer ids and
snapshot names of the emulator (admin API), or of its database when none runs."""
import json
import os
import shutil
import subprocess

import pytest

from cli_helpers import cli, ok
from harness import STATEFUN_BIN


def bash_complete(emulator, line, env_data=True):
    """The candidates bash offers for `line` (the cursor at its end), as the
    completion script computes them."""
    if shutil.which("bash") is None:
        pytest.fail("bash is not installed")
    words = line.split(" ")
    script = ok(subprocess.run([STATEFUN_BIN, "completion", "bash"], capture_output=True,
                               text=True, timeout=30))
    driver = (script + "\nCOMP_WORDS=(\"$@\"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
              "_statefun\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
    env = {**os.environ, "STATEFUN_ADMIN_PORT": str(emulator.admin_port)}
    if env_data:
        env["STATEFUN_DATA"] = str(emulator.data_dir)
        env["STATEFUN_MODULE"] = str(emulator.module_path)  # declares the topics
    done = subprocess.run(["bash", "-c", driver, "bash", STATEFUN_BIN, *words],
                          capture_output=True, text=True, timeout=30, env=env)
    assert done.returncode == 0, done.stderr
    return [word for word in done.stdout.splitlines() if word]


@pytest.mark.timeout(120)
def test_completion_offers_what_the_emulator_holds_then_what_its_data_directory_holds(stack):
    functions = stack.test_functions()
    emulator = stack.emulator({"e2e/*": functions.url()}, topics=("out", "audit"))
    for key in ("alice", "bob"):
        ok(cli(emulator, "send", f"e2e/stateful/{key}", "--type", "e2e/text", "--string", "hi"))
    ok(cli(emulator, "send", "e2e/scheduler/s1", "--type", "e2e/json", "--json",
           json.dumps({"op": "after", "delay": 600000, "tag": "later"})))
    ok(cli(emulator, "wait"))
    ok(cli(emulator, "snapshot", "create", "before-fix"))
    timer_ids = [str(t["id"]) for t in json.loads(ok(cli(emulator, "timers", "ls", "--json")))["timers"]]
    assert len(timer_ids) == 1

    def check(env_data):
        assert bash_complete(emulator, "state get e2e/stateful/", env_data) == [
            "e2e/stateful/alice", "e2e/stateful/bob"]
        assert bash_complete(emulator, "send e2e/sta", env_data) == [
            "e2e/stateful/alice", "e2e/stateful/bob"]
        assert bash_complete(emulator, "state get e2e/stateful/bob ", env_data) == [
            "greeting", "seen"]
        assert bash_complete(emulator, "state set e2e/stateful/bob s", env_data) == ["seen"]
        assert bash_complete(emulator, "state ls e2e/st", env_data) == ["e2e/stateful"]
        assert bash_complete(emulator, "egress read ", env_data) == ["audit", "out"]
        assert bash_complete(emulator, "timers cancel ", env_data) == timer_ids
        assert bash_complete(emulator, "snapshot restore b", env_data) == ["before-fix"]
        assert bash_complete(emulator, "snapshot diff before-fix ", env_data) == [
            "before-fix", "current"]
        # Not from the emulator, but from the binary: commands and languages.
        assert bash_complete(emulator, "init --lang j", env_data) == ["js", "java"]
        assert bash_complete(emulator, "tim", env_data) == ["timers"]

    check(env_data=False)  # the admin API answers; no data directory given
    # Stopped: the same answers from the database, found through --data.
    assert emulator.stop() == 0
    check(env_data=True)
    # --data and -m on the line typed say where to look, as for the command.
    assert bash_complete(
        emulator, f"egress read --data {emulator.data_dir} -m {emulator.module_path} ",
        env_data=False) == ["audit", "out"]
    assert bash_complete(emulator, f"state get --data {emulator.data_dir} e2e/stateful/a",
                         env_data=False) == ["e2e/stateful/alice"]
