"""`statefun dev` as a command: startup errors and shutdown."""
import signal

import pytest

from harness import endpoint_doc, free_ports, io_docs, run_statefun

GOOD_ENDPOINT = endpoint_doc("e2e/*", "http://127.0.0.1:9/statefun")

# (name, second YAML document, text the error must contain besides the file name)
BAD_DOCUMENTS = [
    ("unknown-kind",
     "kind: io.statefun.endpoints.v9/http\nspec:\n  functions: other/*\n"
     "  urlPathTemplate: http://127.0.0.1:9/statefun\n",
     "kind"),
    ("missing-urlPathTemplate",
     "kind: io.statefun.endpoints.v2/http\nspec:\n  functions: other/*\n",
     "urlPathTemplate"),
    ("mistyped-maxNumBatchRequests",
     endpoint_doc("other/*", "http://127.0.0.1:9/statefun", maxNumBatchRequests="lots"),
     "maxNumBatchRequests"),
    ("yaml-syntax-error",
     "kind: io.statefun.endpoints.v2/http\nspec:\n  functions: [other/*\n"
     "  urlPathTemplate: http://127.0.0.1:9/statefun\n",
     None),
]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("bad_document, expected",
                         [pytest.param(doc, exp, id=name) for name, doc, exp in BAD_DOCUMENTS])
def test_a_malformed_module_yaml_exits_1_with_a_one_line_error_naming_file_and_field(
        tmp_path, statefun_bin, bad_document, expected):
    admin, ingress, egress = free_ports(3)
    module = tmp_path / "module.yaml"
    module.write_text("---\n".join([GOOD_ENDPOINT, bad_document, io_docs(ingress, egress, ["out"])]))

    result = run_statefun(["dev", "-m", module, "--data", tmp_path / "data", "--admin-port", admin])

    assert result.returncode == 1, result
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected a one-line error, got: {result.stderr!r}"
    assert "module.yaml" in lines[0]
    if expected:
        assert expected in lines[0]
        # The bad component is the second document; the error must say which
        # one (we don't prescribe the wording, only that it is identified).
        assert "2" in lines[0].split("module.yaml", 1)[1], f"document not named: {lines[0]!r}"


@pytest.mark.timeout(30)
def test_an_unknown_flag_exits_2(tmp_path, statefun_bin):
    result = run_statefun(["dev", "--no-such-flag", "-m", tmp_path / "module.yaml"])
    assert result.returncode == 2, result


@pytest.mark.timeout(60)
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=lambda s: s.name)
def test_a_signal_shuts_the_emulator_down_cleanly_with_exit_code_0(stack, sig):
    functions = stack.test_functions()
    emulator = stack.emulator({"e2e/*": functions.url()})
    assert emulator.admin("/v1/health")[0] == 200
    assert emulator.send("e2e/counter/c", "x") == 200
    emulator.wait_idle()

    assert emulator.stop(sig) == 0
    emulator.start()
    assert emulator.state_int("e2e/counter/c", "count") == 1
