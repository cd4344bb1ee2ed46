"""`statefun deploy`: every language's `statefun init` project gets Kubernetes
manifests that pass the Kubernetes API's own schemas (kubernetes-validate,
strict: no unknown field) and a docker-compose project that PyYAML reads,
whose parts fit together (Services select Deployments, endpoints name the
function service, the compose build context holds the project's Dockerfile),
and the command refuses bad input with one line and a non-zero exit. Nothing
is deployed: there is no Kubernetes or Docker daemon here (docs/deploy.md
says how it is checked).
"""
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

LANGUAGES = ["js", "python", "go", "java", "cpp"]
# The oldest Kubernetes the manifests are checked against, and the newest
# the pinned kubernetes-validate knows.
KUBERNETES_VERSIONS = ["1.27", kubernetes_validate.latest_version()]
PLAYGROUND_KINDS = {"io.statefun.playground.v1/ingress", "io.statefun.playground.v1/egress"}


def run(statefun_bin, *args, cwd):
    return subprocess.run([statefun_bin, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60)


def init(statefun_bin, parent, lang, template="greeter"):
    result = run(statefun_bin, "init", "app", "--lang", lang, "--template", template, cwd=parent)
    assert result.returncode == 0, result.stderr
    return parent / "app"


def documents(folder):
    docs = []
    for path in sorted(folder.glob("*.yaml")):
        docs += [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]
    return docs


def module_kinds(text):
    return [doc["kind"] for doc in yaml.safe_load_all(text) if doc is not None]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_k8s_manifests_fit_together(statefun_bin, tmp_path, lang):
    project = init(statefun_bin, tmp_path, lang)
    assert (project / "Dockerfile").is_file()
    assert (project / ".dockerignore").is_file()
    result = run(statefun_bin, "deploy", "k8s", "--image-prefix", "ghcr.io/me", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "replaced by a Kafka ingress" in result.stdout
    assert "kubectl apply -f deploy/k8s" in result.stdout

    docs = documents(project / "deploy" / "k8s")
    for doc in docs:
        assert doc["apiVersion"] and doc["kind"] and doc["metadata"]["name"], doc
        for version in KUBERNETES_VERSIONS:
            kubernetes_validate.validate(doc, version, strict=True)  # raises when invalid
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
    config_maps = [d for d in docs if d["kind"] == "ConfigMap"]
    assert set(deployments) == {"functions", "statefun-master", "statefun-worker"}
    assert set(services) == set(deployments)
    for name, service in services.items():
        pod = deployments[name]["spec"]["template"]
        assert service["spec"]["selector"] == pod["metadata"]["labels"]
        container_ports = {p["containerPort"] for p in pod["spec"]["containers"][0]["ports"]}
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= container_ports

    functions = deployments["functions"]["spec"]["template"]["spec"]["containers"][0]
    assert functions["image"] == "ghcr.io/me/app-functions:latest"
    assert {"name": "HOST", "value": "0.0.0.0"} in functions["env"]

    [config] = config_maps
    module = config["data"]["module.yaml"]
    kinds = module_kinds(module)
    assert not PLAYGROUND_KINDS & set(kinds)
    assert "io.statefun.kafka.v1/ingress" in kinds and "io.statefun.kafka.v1/egress" in kinds
    assert "http://functions:8000/statefun" in module
    conf = yaml.safe_load(config["data"]["flink-conf.yaml"])
    assert conf["state.backend"] == "rocksdb"
    assert conf["state.checkpoints.dir"].startswith("s3://")
    master = deployments["statefun-master"]["spec"]["template"]["spec"]["containers"][0]
    assert master["image"] == "apache/flink-statefun:3.3.0"
    assert "/opt/statefun/modules/app" in [m["mountPath"] for m in master["volumeMounts"]]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compose_project_builds_the_functions_from_their_dockerfile(statefun_bin, tmp_path, lang):
    project = init(statefun_bin, tmp_path, lang, "shopping-cart")
    result = run(statefun_bin, "deploy", "compose", cwd=project)
    assert result.returncode == 0, result.stderr
    out = project / "deploy" / "compose"
    compose = yaml.safe_load((out / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"functions", "statefun-master", "statefun-worker", "kafka"} <= set(services)
    assert ((out / services["functions"]["build"]) / "Dockerfile").resolve() == \
        (project / "Dockerfile").resolve()
    for role in ("statefun-master", "statefun-worker"):
        for volume in services[role]["volumes"]:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (out / source).exists(), volume
    module = (out / "module.yaml").read_text()
    assert not PLAYGROUND_KINDS & set(module_kinds(module))
    assert "kafka:9092" in module
    assert yaml.safe_load((out / "flink-conf" / "flink-conf.yaml").read_text())[
        "state.backend"] == "rocksdb"


def test_bad_input_gets_one_line_and_a_non_zero_exit(statefun_bin, tmp_path):
    nowhere = tmp_path / "empty"
    nowhere.mkdir()
    outside = run(statefun_bin, "deploy", "k8s", cwd=nowhere)
    assert outside.returncode == 3
    assert outside.stderr.count("\n") == 1 and "no module.yaml" in outside.stderr

    project = init(statefun_bin, tmp_path, "js", "empty")
    unknown = run(statefun_bin, "deploy", "swarm", cwd=project)
    assert unknown.returncode == 2
    assert unknown.stderr.count("\n") == 1 and "unknown target" in unknown.stderr

    taken = project / "elsewhere"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine\n")
    refused = run(statefun_bin, "deploy", "k8s", "--out", "elsewhere", cwd=project)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "--force" in refused.stderr
    forced = run(statefun_bin, "deploy", "k8s", "--out", "elsewhere", "--force", cwd=project)
    assert forced.returncode == 0, forced.stderr
    assert (taken / "notes.txt").read_text() == "mine\n"
    again = run(statefun_bin, "deploy", "k8s", cwd=project)
    assert again.returncode == 0
    assert run(statefun_bin, "deploy", "k8s", cwd=project).stdout.count("unchanged") == 1


def test_help_names_both_targets(statefun_bin, tmp_path):
    result = run(statefun_bin, "deploy", "--help", cwd=tmp_path)
    assert result.returncode == 0
    for word in ("k8s", "compose", "--image-prefix", "--kafka-address", "--force"):
        assert word in result.stdout
