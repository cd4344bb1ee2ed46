"""samples/ci-check: the scripted CI check runs green, with the CLI alone."""
import os
import subprocess

import pytest

from harness import REPO, JS_GREETER, STATEFUN_BIN, free_ports


@pytest.mark.timeout(120)
def test_the_ci_check_sample_passes(tmp_path, statefun_bin):
    if not (JS_GREETER / "node_modules" / "apache-flink-statefun").exists():
        pytest.fail("samples/greeter/node_modules is missing; run scripts/setup.sh")
    functions, ingress, egress, admin = free_ports(4)
    env = {**os.environ, "STATEFUN": STATEFUN_BIN, "FUNCTIONS_PORT": str(functions),
           "INGRESS_PORT": str(ingress), "EGRESS_PORT": str(egress), "ADMIN_PORT": str(admin),
           "TMPDIR": str(tmp_path)}
    result = subprocess.run(["bash", REPO / "samples" / "ci-check" / "ci-check.sh"], env=env,
                            capture_output=True, text=True, timeout=100,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.stdout.strip().endswith("ci-check: all checks passed")
