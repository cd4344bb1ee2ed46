"""Offline mode (the commands read the database when no emulator runs) and
bad input: one clear line, the documented exit code, nothing changed."""
import json

import pytest

from cli_helpers import cli, ok, ok_json, one_line_error


def populated(stack):
    """An emulator whose database holds state, egress, a timer and a trace."""
    functions = stack.test_functions()
    emulator = stack.emulator({"e2e/*": functions.url()})
    ok(cli(emulator, "send", "e2e/stateful/alice", "--type", "e2e/text", "--string", "hi"))
    ok(cli(emulator, "send", "e2e/scheduler/s", "--type", "e2e/json", "--json",
           json.dumps({"op": "after", "delay": 600000, "tag": "later", "token": "t"})))
    ok(cli(emulator, "wait"))
    return emulator


@pytest.mark.timeout(90)
def test_state_egress_timers_and_trace_read_the_database_when_no_emulator_runs(stack):
    emulator = populated(stack)
    online = {
        "state": ok_json(cli(emulator, "state", "get", "e2e/stateful/alice", "--json")),
        "egress": ok_json(cli(emulator, "egress", "read", "out", "--json")),
        "timers": ok_json(cli(emulator, "timers", "ls", "--json")),
        "trace": ok_json(cli(emulator, "trace", "--json")),
    }
    assert emulator.stop() == 0

    state = ok_json(cli(emulator, "state", "get", "e2e/stateful/alice", "--json"))
    assert state["states"] == online["state"]["states"]
    assert ok(cli(emulator, "state", "get", "e2e/stateful/alice", "seen")) == "1\n"
    assert "e2e/stateful/alice" in ok(cli(emulator, "state", "ls"))
    egress = ok_json(cli(emulator, "egress", "read", "out", "--json"))
    assert egress["records"] == online["egress"]["records"]
    assert [t["topic"] for t in ok_json(cli(emulator, "egress", "ls", "--json"))["topics"]] == [
        "out"]
    timers = ok_json(cli(emulator, "timers", "ls", "--json"))["timers"]
    assert [t["id"] for t in timers] == [t["id"] for t in online["timers"]["timers"]]
    trace = ok_json(cli(emulator, "trace", "--json"))
    assert trace["steps"] == online["trace"]["steps"]
    assert "e2e/stateful/alice" in ok(cli(emulator, "trace"))

    # -m finds the data directory beside module.yaml without --data.
    by_module = cli(emulator, "state", "get", "e2e/stateful/alice", "--json", "-m",
                    emulator.module_path, offline_data=False)
    # (the harness keeps data in <tmp>/data, not <tmp>/.statefun: nothing there)
    one_line_error(by_module, 1)

    # Writes need the emulator.
    for args in (["state", "set", "e2e/stateful/alice", "seen", "5"],
                 ["state", "rm", "e2e/stateful/alice", "seen"],
                 ["timers", "fire", str(timers[0]["id"])],
                 ["send", "e2e/counter/c", "--int", "1"],
                 ["wait"], ["status"]):
        line = one_line_error(cli(emulator, *args), 1)
        assert "no emulator running" in line, line
    assert emulator.state_int("e2e/stateful/alice", "seen") == 1

    # Reading offline changed nothing: the emulator resumes with the timer.
    emulator.start()
    assert len(ok_json(cli(emulator, "timers", "ls", "--json"))["timers"]) == 1


@pytest.mark.timeout(90)
def test_offline_reads_are_safe_beside_a_running_emulator(stack):
    emulator = populated(stack)
    for _ in range(3):
        ok(cli(emulator, "send", "e2e/counter/c", "--int", "1"))
        offline = ok_json(cli(emulator, "state", "ls", "--offline", "--json"))
        assert any(a["address"] == "e2e/stateful/alice" for a in offline["addresses"])
    ok(cli(emulator, "wait"))
    assert ok_json(cli(emulator, "state", "get", "e2e/counter/c", "count", "--offline",
                       "--json"))["value"] == 3


@pytest.mark.timeout(90)
def test_bad_input_is_one_line_with_the_right_exit_code_and_changes_nothing(stack):
    emulator = populated(stack)
    before = ok_json(cli(emulator, "trace", "--json"))["last_step"]

    # An address with the wrong number of parts: 2.
    for args in (["send", "e2e/stateful", "--int", "1"],
                 ["state", "get", "e2e/stateful/alice/x"],
                 ["state", "set", "alice", "seen", "1"],
                 ["state", "ls", "e2e"],
                 ["trace", "e2e/stateful"]):
        assert "namespace/type" in one_line_error(cli(emulator, *args), 2)

    # A value that does not parse as its type: 2.
    line = one_line_error(cli(emulator, "state", "set", "e2e/stateful/alice", "seen", "many"), 2)
    assert "io.statefun.types/int" in line and "many" in line
    line = one_line_error(cli(emulator, "send", "e2e/ttl/t", "--type", "e2e/json", "--json",
                              "{op:"), 2)
    assert "not JSON" in line
    line = one_line_error(cli(emulator, "state", "set", "e2e/stateful/alice", "seen", "--type",
                              "io.statefun.types/string", "x"), 2)
    assert "registered as io.statefun.types/int" in line

    # An unknown state name, topic, timer or address: 3.
    assert "'sene'" in one_line_error(
        cli(emulator, "state", "get", "e2e/stateful/alice", "sene"), 3)
    assert "'sene'" in one_line_error(
        cli(emulator, "state", "set", "e2e/stateful/alice", "sene", "1"), 3)
    assert "'sene'" in one_line_error(
        cli(emulator, "state", "set", "e2e/stateful/alice", "sene", "--type",
            "io.statefun.types/int", "1"), 3)
    one_line_error(cli(emulator, "state", "rm", "e2e/stateful/alice", "sene"), 3)
    one_line_error(cli(emulator, "state", "get", "e2e/stateful/nobody"), 3)
    assert "unknown egress topic" in one_line_error(cli(emulator, "egress", "read", "nope"), 3)
    one_line_error(cli(emulator, "timers", "fire", "424242"), 3)

    # A usage error: 2.
    assert cli(emulator, "state", "get").returncode == 2
    assert cli(emulator, "send", "e2e/counter/c").returncode == 2  # no value

    # Nothing changed: no step was made, the state is as it was.
    assert ok_json(cli(emulator, "trace", "--json"))["last_step"] == before
    assert emulator.state_int("e2e/stateful/alice", "seen") == 1


@pytest.mark.timeout(60)
def test_no_emulator_and_no_database_is_one_line_exit_1(tmp_path, statefun_bin):
    from harness import free_ports
    import subprocess
    (port,) = free_ports(1)
    for args in (["state", "ls"], ["egress", "ls"], ["timers", "ls"], ["trace"], ["status"]):
        result = subprocess.run([statefun_bin, *args, "--admin-port", str(port)],
                                capture_output=True, text=True, cwd=tmp_path,
                                stdin=subprocess.DEVNULL)
        line = one_line_error(result, 1)
        assert "no emulator running" in line, line


@pytest.mark.timeout(60)
@pytest.mark.parametrize("args,expected", [
    (["sned"], "statefun: unknown command 'sned' (did you mean 'send'?)"),
    (["state", "gte"], "statefun state: unknown command 'gte' (did you mean 'get'?)"),
    (["send", "--tpye", "t", "a/b/c"], "statefun send: unknown option '--tpye' (did you mean '--type'?)"),
    (["dev", "--modul=m.yaml"], "statefun dev: unknown option '--modul' (did you mean '--module'?)"),
    (["xyzzy"], "statefun: unknown command 'xyzzy'\n"),
])
def test_a_misspelt_command_or_flag_suggests_the_nearest_exit_2(tmp_path, statefun_bin, args,
                                                                  expected):
    import subprocess
    result = subprocess.run([statefun_bin, *args], capture_output=True, text=True, cwd=tmp_path,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 2, result
    assert result.stderr.startswith(expected), result.stderr
