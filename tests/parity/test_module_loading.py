"""module.yaml acceptance, side by side: every module.yaml the project ships or
writes (samples/, and every `statefun init` language x template) must load on
the real engine (its own module loader and validator, launcher --check) and
on `statefun dev`; and for broken modules, `statefun dev` must refuse what the
real engine refuses, or, where it accepts on purpose, warn that the real
runtime would not start."""
import os
import shutil
import signal
import subprocess
import time

import pytest
import yaml

import engine
from pair import harness, retarget

LANGS = ["js", "python", "go", "java", "cpp"]
TEMPLATES = ["greeter", "shopping-cart", "empty"]

ENDPOINT = """\
kind: io.statefun.endpoints.v2/http
spec:
  functions: e2e/*
  urlPathTemplate: http://127.0.0.1:1/statefun
"""
PLAYGROUND = """\
kind: io.statefun.playground.v1/ingress
spec:
  port: 0
---
kind: io.statefun.playground.v1/egress
spec:
  port: 0
  topics:
    - out
"""
# name: (module.yaml, what the real engine says: None = accepted)
BROKEN = {
    "unknown kind": ("kind: io.statefun.nope.v1/thing\nspec: {}\n---\n" + ENDPOINT + "---\n"
                     + PLAYGROUND, "does not exist"),
    "component without spec": ("kind: io.statefun.endpoints.v2/http\n---\n" + PLAYGROUND,
                               "required fields [kind] and [spec]"),
    "function type without a slash": (ENDPOINT.replace("e2e/*", "e2e") + "---\n" + PLAYGROUND,
                                      "Invalid type name string: e2e"),
    "the same functions bound twice": (ENDPOINT + "---\n" + ENDPOINT + "---\n" + PLAYGROUND,
                                       "was previously defined"),
    "endpoint without url": (ENDPOINT.replace("  urlPathTemplate: http://127.0.0.1:1/statefun\n",
                                              "") + "---\n" + PLAYGROUND,
                             "NullPointerException"),
    "Kafka ingress without topics": (
        ENDPOINT + "---\nkind: io.statefun.kafka.v1/ingress\nspec:\n  id: e2e/in\n"
        "  address: 127.0.0.1:9\n  consumerGroupId: g\n",
        "Routing config for routable Kafka ingress cannot be empty"),
}
# Accepted by statefun dev on purpose (README), with this warning.
NO_INGRESS = (ENDPOINT, "There are no ingress defined.")
NO_INGRESS_WARNING = "the real runtime refuses to start without one"

DEV_TIMEOUT = 20.0


def dev_verdict(module, folder):
    """-> (accepted, output) of `statefun dev` on `module`: accepted once it
    says "ready in", refused when it exits first."""
    out = folder / "dev.out"
    with open(out, "w") as log:
        proc = subprocess.Popen(
            [harness.STATEFUN_BIN, "dev", "-m", module, "--data", folder / "data",
             "--admin-port", "0"], stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True, cwd=folder)
    try:
        deadline = time.monotonic() + DEV_TIMEOUT
        while time.monotonic() < deadline:
            text = out.read_text(errors="replace")
            if "ready in" in text:
                return True, text
            if proc.poll() is not None:
                return False, out.read_text(errors="replace")
            time.sleep(0.05)
        raise AssertionError(f"statefun dev on {module} neither ready nor exited in "
                             f"{DEV_TIMEOUT:g} s: {out.read_text(errors='replace')[-500:]}")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def shipped_modules(root):
    """{name: module.yaml path}: the samples' and every `statefun init`
    project's, ports set to 0 (no clash with anything listening) and the
    function URL re-pointed; nothing else changed."""
    sources = {f"samples/{p.parent.name}": p.read_text()
               for p in sorted((harness.REPO / "samples").glob("*/module.yaml"))}
    for lang in LANGS:
        for template in TEMPLATES:
            project = root / f"init-{lang}-{template}"
            done = harness.run_statefun(["init", project, "--lang", lang, "--template", template,
                                         "--namespace", "com.example.shop", "--yes"])
            assert done.returncode == 0, f"statefun init {lang} {template}: {done.stderr}"
            sources[f"init {lang} {template}"] = (project / "module.yaml").read_text()
    paths = {}
    for name, text in sources.items():
        folder = root / name.replace("/", "-").replace(" ", "-")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "module.yaml"
        path.write_text(retarget(text, "http://127.0.0.1:1/statefun", 0, 0))
        paths[name] = path
    return paths


def test_every_shipped_module_loads_on_both(tmp_path, launcher, statefun_bin):
    paths = shipped_modules(tmp_path)
    real = engine.check_modules(list(paths.values()))
    refused = {name: real[path] for name, path in paths.items() if real[path] is not None}
    assert not refused, f"the real engine refuses modules we ship: {refused}"
    for name, path in paths.items():
        accepted, output = dev_verdict(path, path.parent)
        assert accepted, f"statefun dev refuses {name}: {output[-500:]}"


def test_dev_refuses_what_the_real_engine_refuses(tmp_path, launcher, statefun_bin):
    paths = {}
    for name, (text, _) in {**BROKEN, "no ingress": NO_INGRESS}.items():
        folder = tmp_path / name.replace(" ", "-")
        folder.mkdir()
        (folder / "module.yaml").write_text(text)
        paths[name] = folder / "module.yaml"
    real = engine.check_modules(list(paths.values()))
    for name, (_, why) in {**BROKEN, "no ingress": NO_INGRESS}.items():
        assert real[paths[name]] is not None and why in real[paths[name]], \
            f"{name}: the real engine says {real[paths[name]]!r}, expected {why!r}"
    for name in BROKEN:
        accepted, output = dev_verdict(paths[name], paths[name].parent)
        assert not accepted, f"{name}: the real engine refuses it, statefun dev starts: {output}"
        assert "error:" in output, output
    accepted, output = dev_verdict(paths["no ingress"], paths["no ingress"].parent)
    assert accepted and NO_INGRESS_WARNING in output, output


def deployed_modules(root):
    """{name: module.yaml path}: what `statefun deploy k8s` puts in the
    ConfigMap and `statefun deploy compose` beside docker-compose.yml, for
    every `statefun init` language x template and the Kafka greeter sample."""
    projects = {}
    for lang in LANGS:
        for template in TEMPLATES:
            project = root / f"init-{lang}-{template}"
            done = harness.run_statefun(["init", project, "--lang", lang, "--template", template,
                                         "--yes"])
            assert done.returncode == 0, f"statefun init {lang} {template}: {done.stderr}"
            projects[f"{lang} {template}"] = project
    kafka = root / "greeter-kafka"
    shutil.copytree(harness.REPO / "samples" / "greeter-kafka", kafka,
                    ignore=shutil.ignore_patterns("node_modules", ".statefun"))
    projects["samples/greeter-kafka"] = kafka
    paths = {}
    for name, project in projects.items():
        for target in ("k8s", "compose"):
            out = root / "deployed" / name.replace("/", "-").replace(" ", "-") / target
            done = harness.run_statefun(["deploy", target, "--project", project, "--out", out])
            assert done.returncode == 0, f"statefun deploy {target} for {name}: {done.stderr}"
            if target == "compose":
                paths[f"{name} ({target})"] = out / "module.yaml"
                continue
            [config] = [doc for doc in yaml.safe_load_all((out / "01-config.yaml").read_text())
                        if doc and doc["kind"] == "ConfigMap"]
            module = out / "module.yaml"
            module.write_text(config["data"]["module.yaml"])
            paths[f"{name} ({target})"] = module
    return paths


def test_what_statefun_deploy_writes_loads_on_the_real_engine(tmp_path, launcher, statefun_bin):
    # The cluster's module.yaml (Kafka in place of the playground, endpoints
    # at the functions' Service) must pass the real module loader and
    # validator, as the StateFun master will load it.
    paths = deployed_modules(tmp_path)
    # The launcher binds the playground kinds for the parity runs; the
    # distribution on the cluster does not ship them, so none may be left.
    for name, path in paths.items():
        kinds = [doc["kind"] for doc in yaml.safe_load_all(path.read_text()) if doc]
        assert not [k for k in kinds if k.startswith("io.statefun.playground.")], f"{name}: {kinds}"
    real = engine.check_modules(list(paths.values()))
    refused = {name: real[path] for name, path in paths.items() if real[path] is not None}
    assert not refused, f"the real engine refuses what statefun deploy writes: {refused}"
