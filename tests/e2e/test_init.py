"""`statefun init`: every template of every language is generated into a
temporary directory, installed from the real registries (npm, PyPI, the Go
module proxy, Maven Central), started by `statefun dev` and checked by the
project's own ci.sh. Also: the command's refusals and prompts, and the
shopping-cart samples (JS and C++), which must behave the same.

The language tests need node/npm, python3 (with venv), go, java + mvn and
g++ + cmake. For local iteration only, STATEFUN_E2E_INIT_LANGS=js,cpp runs
just those languages (CI runs them all). Maven's local repository is kept in
~/.cache/statefun-e2e-maven between runs on one machine; Go, pip and npm keep
their usual caches.
"""
import json
import os
import pty
import select
import shutil
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

from harness import BUILD_DIR, REPO, free_ports

LANGUAGES = ["js", "python", "go", "java", "cpp"]
TEMPLATES = [(lang, template) for template in ["greeter", "shopping-cart", "empty"]
             for lang in LANGUAGES]
TOOLS = {"js": ["node", "npm"], "python": ["python3"], "go": ["go"], "java": ["java", "mvn"],
         "cpp": ["cmake", "c++", "pkg-config", "protoc"]}
# A first run downloads and compiles everything (Maven, the Go modules, the C++
# SDK); later runs on the same machine hit the caches.
TIMEOUTS = {"js": 180, "python": 300, "go": 420, "java": 600, "cpp": 420}
MAVEN_CACHE = Path.home() / ".cache" / "statefun-e2e-maven"
FUNCTIONS_PORT = 8000  # what every template's statefun.yaml and ci.sh use


def wanted(lang):
    only = os.environ.get("STATEFUN_E2E_INIT_LANGS")
    if only and lang not in only.split(","):
        pytest.skip(f"STATEFUN_E2E_INIT_LANGS={only} leaves out {lang}")
    missing = [tool for tool in TOOLS[lang] if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not installed: the {lang} templates cannot be tested "
                    f"(STATEFUN_E2E_INIT_LANGS skips languages for local runs)")


@pytest.fixture
def statefun_bin(statefun_bin):
    """The binary's absolute path: these tests run it, and ci.sh, from other folders."""
    return str(Path(statefun_bin).resolve())


def init(statefun_bin, *args, cwd=None):
    """`statefun init ARGS` with no terminal -> CompletedProcess."""
    return subprocess.run([statefun_bin, "init", *map(str, args)], cwd=cwd, text=True,
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=30)


def port_free(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def sockets_of(marker):
    """Inodes of the sockets held by processes whose environment holds
    `marker` (ci.sh, statefun dev and the functions it starts)."""
    inodes = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker.encode() not in (entry / "environ").read_bytes():
                continue
            for fd in (entry / "fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue  # gone, or not ours
    return inodes


def listeners_on(port, marker):
    """The local addresses of the TCP sockets listening on `port` right now
    that processes with `marker` in their environment hold, as this network
    namespace's /proc/net/tcp and tcp6 list them (other tests on this machine
    may listen on the same port meanwhile)."""
    found = set()
    ours = None
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if fields[3] == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                ours = sockets_of(marker) if ours is None else ours
                if fields[9] not in ours:
                    continue
                raw = bytes.fromhex(address)
                # Each 32-bit word is in host (little-endian) order.
                words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
                found.add(socket.inet_ntop(socket.AF_INET if width == 8 else socket.AF_INET6,
                                           words))
    return found


class ListenerWatch(threading.Thread):
    """Records every address that listens on `port` while it runs."""

    def __init__(self, port, marker):
        super().__init__(daemon=True)
        self.port, self.marker, self.seen = port, marker, set()
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            self.seen |= listeners_on(self.port, self.marker)
            self.done.wait(0.02)


def ci_env(statefun_bin, lang):
    ingress, egress, admin = free_ports(3)
    env = {**os.environ, "STATEFUN_BIN": statefun_bin, "CI_TIMEOUT": f"{TIMEOUTS[lang] - 30}s",
           "STATEFUN_INGRESS_PORT": str(ingress), "STATEFUN_EGRESS_PORT": str(egress),
           "STATEFUN_ADMIN_PORT": str(admin)}
    if lang == "java":
        MAVEN_CACHE.mkdir(parents=True, exist_ok=True)
        env["MAVEN_OPTS"] = f"{env.get('MAVEN_OPTS', '')} -Dmaven.repo.local={MAVEN_CACHE}".strip()
    return env


# --- every template, installed and run by its own ci.sh ------------------------

@pytest.mark.timeout(max(TIMEOUTS.values()) + 60)
@pytest.mark.parametrize("lang,template", TEMPLATES, ids=[f"{l}-{t}" for l, t in TEMPLATES])
def test_generated_project_passes_its_own_ci_script(tmp_path, statefun_bin, lang, template):
    wanted(lang)
    assert port_free(FUNCTIONS_PORT), \
        f"port {FUNCTIONS_PORT} is in use: the generated projects serve their functions there"
    project = tmp_path / f"{template}-{lang}"
    created = init(statefun_bin, project, "--lang", lang, "--template", template,
                   "--namespace", "com.example.shop")
    assert created.returncode == 0, created.stderr
    assert (project / "ci.sh").stat().st_mode & 0o100, "ci.sh is not executable"

    started = time.monotonic()
    env = ci_env(statefun_bin, lang)
    env.pop("HOST", None)  # the template's own default
    marker = f"{uuid.uuid4()}"
    env["STATEFUN_E2E_INIT_MARKER"] = marker  # inherited by the function process
    watch = ListenerWatch(FUNCTIONS_PORT, marker)
    watch.start()
    try:
        result = subprocess.run([project / "ci.sh"], cwd=tmp_path, env=env,
                                stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                timeout=TIMEOUTS[lang])
    finally:
        watch.done.set()
        watch.join()
    print(f"{lang} {template}: ci.sh took {time.monotonic() - started:.1f}s")
    assert result.returncode == 0, f"ci.sh failed:\n{result.stdout}\n{result.stderr}"
    assert "ci: all checks passed" in result.stdout
    assert port_free(FUNCTIONS_PORT), "a function process outlived ci.sh"
    # Issue 14.7: the functions are reachable from this machine only.
    assert watch.seen, f"nothing was seen listening on port {FUNCTIONS_PORT}"
    # Java's dual-stack socket shows its IPv4 loopback as ::ffff:127.0.0.1.
    assert watch.seen <= {"127.0.0.1", "::1", "::ffff:127.0.0.1"}, \
        f"the {lang} functions listened on {sorted(watch.seen)}, not on loopback only"


# --- the command itself ---------------------------------------------------------

def test_list_shows_every_language_and_template(statefun_bin):
    listed = init(statefun_bin, "--list")
    assert listed.returncode == 0, listed.stderr
    for word in LANGUAGES + ["greeter", "shopping-cart", "empty", "apache-flink-statefun",
                             "statefun-sdk-go", "statefun-sdk-java"]:
        assert word in listed.stdout, f"{word} missing from:\n{listed.stdout}"


def test_without_a_terminal_it_never_asks(tmp_path, statefun_bin):
    missing = init(statefun_bin, tmp_path / "a", cwd=tmp_path)
    assert missing.returncode == 2
    assert "--lang is missing (one of: js, python, go, java, cpp)" in missing.stderr
    assert not (tmp_path / "a").exists()

    # Everything else has a default: greeter, namespace example, the current directory.
    here = tmp_path / "here"
    here.mkdir()
    created = init(statefun_bin, "--lang", "python", cwd=here)
    assert created.returncode == 0, created.stderr
    assert "functions: example/*" in (here / "module.yaml").read_text()
    assert "example/person" in (here / "functions.py").read_text()


def test_on_a_terminal_it_asks_for_what_is_missing(tmp_path, statefun_bin):
    master, slave = pty.openpty()
    process = subprocess.Popen([statefun_bin, "init"], cwd=tmp_path, stdin=slave, stdout=slave,
                               stderr=slave, close_fds=True)
    os.close(slave)
    # Language 2 (python), the default template, directory "shop", namespace com.acme.
    os.write(master, b"2\n\nshop\ncom.acme\n")
    output = b""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
        elif process.poll() is not None:
            break
    os.close(master)
    assert process.wait(timeout=10) == 0, output.decode(errors="replace")
    text = output.decode(errors="replace")
    for question in ["Language [js]:", "Template [greeter]:", "Directory", "Namespace"]:
        assert question in text, f"did not ask {question!r}:\n{text}"
    assert "functions: com.acme/*" in (tmp_path / "shop" / "module.yaml").read_text()
    assert (tmp_path / "shop" / "functions.py").exists()


def test_unknown_language_or_template_lists_the_valid_ones(tmp_path, statefun_bin):
    rust = init(statefun_bin, tmp_path / "a", "--lang", "rust")
    assert rust.returncode == 2
    assert "unknown language 'rust' (choose one of: js, python, go, java, cpp)" in rust.stderr
    mall = init(statefun_bin, tmp_path / "a", "--lang", "go", "--template", "mall")
    assert mall.returncode == 2
    assert "unknown template 'mall' for go (choose one of: greeter, " in mall.stderr
    assert not (tmp_path / "a").exists()


def test_bad_names_are_refused_with_a_reason(tmp_path, statefun_bin):
    slash = init(statefun_bin, tmp_path / "a", "--lang", "js", "--namespace", "com/example")
    assert slash.returncode == 2
    assert "namespace 'com/example' is not valid: it may not contain '/'" in slash.stderr
    assert not (tmp_path / "a").exists()

    (tmp_path / "file").write_text("x")
    under_a_file = init(statefun_bin, tmp_path / "file" / "app", "--lang", "js")
    assert under_a_file.returncode == 1
    assert "cannot create directory" in under_a_file.stderr


def test_a_non_empty_directory_is_refused_unless_forced(tmp_path, statefun_bin):
    (tmp_path / "notes.txt").write_text("mine")
    refused = init(statefun_bin, tmp_path, "--lang", "go")
    assert refused.returncode == 1
    assert "is not empty; use --force" in refused.stderr
    assert not (tmp_path / "module.yaml").exists()

    forced = init(statefun_bin, tmp_path, "--lang", "go", "--force")
    assert forced.returncode == 0, forced.stderr
    assert (tmp_path / "main.go").exists()
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_the_binary_needs_no_files_beside_it(tmp_path, statefun_bin):
    alone = tmp_path / "bin" / "statefun"
    alone.parent.mkdir()
    shutil.copy(statefun_bin, alone)
    created = init(str(alone), tmp_path / "app", "--lang", "cpp", cwd="/")
    assert created.returncode == 0, created.stderr
    sdk = tmp_path / "app" / "statefun_sdk" / "runtime" / "sdk" / "statefun_sdk.h"
    assert sdk.read_bytes() == (REPO / "runtime" / "sdk" / "statefun_sdk.h").read_bytes()


# --- the shopping-cart samples ---------------------------------------------------

def start_sample(stack, tmp_path, impl):
    if impl == "cpp":
        binary = Path(os.environ.get("STATEFUN_CPP_SHOPPING_CART",
                                     BUILD_DIR / "samples" / "shopping-cart-cpp" /
                                     "shopping-cart-cpp"))
        return stack._function("shopping-cart-cpp", [binary], binary,
                               remedy="build the shopping-cart-cpp target")
    sample = tmp_path / "shopping-cart"
    shutil.copytree(REPO / "samples" / "shopping-cart", sample,
                    ignore=shutil.ignore_patterns("node_modules", ".statefun"))
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=sample,
                   check=True, timeout=120, stdin=subprocess.DEVNULL)
    return stack._function("shopping-cart-js", ["node", sample / "functions.js"],
                           sample / "node_modules" / "apache-flink-statefun")


@pytest.mark.timeout(180)
@pytest.mark.parametrize("impl", ["js", "cpp"])
def test_shopping_cart_samples_reserve_stock_and_emit_the_same_receipt(stack, tmp_path, impl):
    functions = start_sample(stack, tmp_path, impl)
    emulator = stack.emulator({"example/*": functions.url("/statefun")}, topics=["receipts"])

    def send(address, typename, value):
        assert emulator.send(address, json.dumps(value), f"example/{typename}") == 200

    send("example/inventory/socks", "Restock", {"quantity": 5})
    send("example/cart/alice", "AddToCart", {"item": "socks", "quantity": 3})
    send("example/cart/alice", "AddToCart", {"item": "hat", "quantity": 1})  # none in stock
    # Different addresses have no order between them (as on a cluster): let
    # alice's reservation land before bob asks for the same socks.
    emulator.wait_idle()
    send("example/cart/bob", "AddToCart", {"item": "socks", "quantity": 3})  # only 2 left
    emulator.wait_idle()
    assert json.loads(emulator.state("example/cart/alice", "items")) == {"socks": 3}
    assert emulator.state("example/cart/bob", "items") is None
    assert emulator.state_int("example/inventory/socks", "stock") == 2

    send("example/cart/alice", "Checkout", {})
    emulator.wait_idle()
    status, receipt = emulator.pop("receipts")
    assert (status, receipt) == (200, b'{"items":{"socks":3},"total":3,"user":"alice"}')
    assert emulator.pop("receipts")[0] == 404
    assert emulator.state("example/cart/alice", "items") is None
