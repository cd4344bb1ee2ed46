"""https function endpoints and Unix socket endpoints, end to end.

The e2e functions (official JS SDK) run behind Node's https server
(functions/tls_server.js) with certificates made here by the `openssl`
command line: a CA, a server certificate for 127.0.0.1 and localhost, one for
another host name, and a client certificate. `statefun dev` calls them with
module.yaml's async-transport TLS fields or statefun.yaml's `tls:` section,
and a call that fails says why in /v1/status. The same functions on a Unix
socket are called through an okhttp-transport `http+unix://` URL and through
a statefun.yaml `hosts` entry that maps a cluster host to the socket."""
import socket
import subprocess
from pathlib import Path

import pytest

from harness import (E2E_FUNCTIONS, STARTUP_TIMEOUT, Emulator, FunctionServer, HarnessError,
                     Process, endpoint_doc, free_ports, io_docs, run_statefun, wait_until)

TLS_SERVER = E2E_FUNCTIONS / "tls_server.js"
SDK = E2E_FUNCTIONS / "node_modules" / "apache-flink-statefun"
ASYNC = "io.statefun.transports.v1/async"
OKHTTP = "io.statefun.transports.v1/okhttp"


# --- certificates ----------------------------------------------------------------

def openssl(folder, *args):
    subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("certs")
    openssl(folder, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=statefun-e2e-ca", "-keyout", "ca.key", "-out", "ca.pem")
    for name, extension in [("server", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
                            ("other", "subjectAltName=DNS:other.example"),
                            ("client", "extendedKeyUsage=clientAuth")]:
        openssl(folder, "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
                "-keyout", f"{name}.key", "-out", f"{name}.csr")
        (folder / f"{name}.ext").write_text(extension + "\n")
        openssl(folder, "x509", "-req", "-days", "2", "-in", f"{name}.csr", "-CA", "ca.pem",
                "-CAkey", "ca.key", "-CAcreateserial", "-extfile", f"{name}.ext",
                "-out", f"{name}.pem")
    # A password-protected copy of the client key, the password in a file (as StateFun reads it).
    openssl(folder, "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", "client.key",
            "-out", "client-enc.key", "-passout", "pass:e2e-secret")
    (folder / "password.txt").write_text("e2e-secret\n")
    return folder


# --- processes ---------------------------------------------------------------------

def https_functions(stack, certs, cert="server", client_ca=False):
    if not SDK.exists():
        raise HarnessError(f"{SDK} is missing; run scripts/setup.sh")
    (port,) = free_ports(1)
    env = {"TLS_CERT": str(certs / f"{cert}.pem"), "TLS_KEY": str(certs / f"{cert}.key")}
    if client_ca:
        env["TLS_CLIENT_CA"] = str(certs / "ca.pem")
    server = stack._track(FunctionServer(f"https-{cert}", ["node", TLS_SERVER], port, stack.logs,
                                         env=env))
    server.start()
    return server


class SocketFunctions(Process):
    """The e2e functions on plain http over a Unix socket file."""

    def __init__(self, path, log_dir):
        super().__init__("unix-functions", ["node", TLS_SERVER], log_dir, env={"SOCKET": str(path)})
        self.path = Path(path)

    def start(self):
        super().start()
        wait_until(self._accepting, STARTUP_TIMEOUT, lambda: f"a listener on {self.path}")

    def _accepting(self):
        if not self.running():
            raise HarnessError(self.describe_exit())
        try:
            with socket.socket(socket.AF_UNIX) as probe:
                probe.connect(str(self.path))
            return True
        except OSError:
            return False


def dev(stack, url, transport_lines=(), statefun_yaml=None, start=True):
    """`statefun dev` on a module.yaml with one endpoint (e2e/*) at `url`,
    its transport made of `transport_lines`, and `statefun_yaml` beside it."""
    admin, ingress, egress = free_ports(3)
    module = stack.root / "module.yaml"
    endpoint = endpoint_doc("e2e/*", url)
    if transport_lines:
        endpoint += "  transport:\n" + "".join(f"    {line}\n" for line in transport_lines)
    module.write_text(endpoint + "---\n" + io_docs(ingress, egress, ["out"]))
    if statefun_yaml is not None:
        (stack.root / "statefun.yaml").write_text(statefun_yaml)
    emulator = stack._track(Emulator(module, stack.root / "data", admin, ingress, egress,
                                     stack.logs, args=("--color", "never")))
    if start:
        emulator.start()
    return emulator


def counts(emulator, address="e2e/counter/a"):
    assert emulator.send(address, "tick") == 200
    emulator.wait_idle()
    return emulator.state_int(address, "count")


def failure_reason(emulator, address="e2e/counter/a"):
    """Sends one message to `address` and returns why its calls fail, as
    /v1/status reports it."""
    assert emulator.send(address, "tick") == 200
    seen = {}

    def failing():
        for entry in emulator.status().get("failing_addresses", []):
            if entry["address"] == address and entry.get("reason"):
                seen.update(entry)
                return True
        return False

    wait_until(failing, 30, lambda: f"{address} to fail; last status: {emulator.status()}")
    return seen["reason"]


# --- https -------------------------------------------------------------------------

@pytest.mark.timeout(120)
def test_https_trusted_through_module_yaml_trust_cacerts(stack, certs):
    functions = https_functions(stack, certs)
    emulator = dev(stack, f"https://127.0.0.1:{functions.port}/statefun",
                   [f"type: {ASYNC}", f"trust_cacerts: file:{certs / 'ca.pem'}"])
    assert counts(emulator) == 1
    assert counts(emulator) == 2
    assert "accepted but not applied" not in emulator.output()


@pytest.mark.timeout(120)
def test_https_statefun_yaml_ca_overrides_a_classpath_resource(stack, certs):
    functions = https_functions(stack, certs)
    emulator = dev(stack, f"https://localhost:{functions.port}/statefun",
                   [f"type: {ASYNC}", "trust_cacerts: classpath:certs/ca.pem"],
                   statefun_yaml=f"tls:\n  ca: {certs / 'ca.pem'}\n")
    assert counts(emulator) == 1


@pytest.mark.timeout(120)
def test_https_without_the_ca_fails_naming_the_certificate_problem(stack, certs):
    functions = https_functions(stack, certs)
    emulator = dev(stack, f"https://127.0.0.1:{functions.port}/statefun")
    reason = failure_reason(emulator)
    assert reason.startswith(f"TLS: the certificate of 127.0.0.1:{functions.port} failed "
                             "verification: unable to get local issuer certificate;"), reason
    assert "tls.ca in statefun.yaml" in reason, reason
    assert emulator.state("e2e/counter/a", "count") is None


@pytest.mark.timeout(120)
def test_https_hostname_mismatch_is_its_own_reason(stack, certs):
    functions = https_functions(stack, certs, cert="other")
    emulator = dev(stack, f"https://127.0.0.1:{functions.port}/statefun",
                   statefun_yaml=f"tls:\n  ca: {certs / 'ca.pem'}\n")
    reason = failure_reason(emulator)
    assert reason.startswith(f"TLS: the certificate of 127.0.0.1:{functions.port} does not name "
                             "the host \"127.0.0.1\" (hostname mismatch)"), reason


@pytest.mark.timeout(120)
def test_https_insecure_skip_verify_works_and_warns_loudly(stack, certs):
    functions = https_functions(stack, certs, cert="other")
    emulator = dev(stack, f"https://127.0.0.1:{functions.port}/statefun",
                   statefun_yaml="tls:\n  insecure_skip_verify: true\n")
    assert counts(emulator) == 1
    output = emulator.output()
    assert "tls.insecure_skip_verify: INSECURE: the certificates of https function endpoints " \
           "are NOT verified" in output, output
    assert "tls        INSECURE: https certificates are not verified" in output, output


@pytest.mark.timeout(150)
def test_https_client_certificates_for_a_server_that_demands_one(stack, certs):
    functions = https_functions(stack, certs, client_ca=True)
    url = f"https://127.0.0.1:{functions.port}/statefun"
    # module.yaml's fields, the key encrypted, its password in a file.
    emulator = dev(stack, url, [f"type: {ASYNC}", f"trust_cacerts: {certs / 'ca.pem'}",
                                f"client_cert: {certs / 'client.pem'}",
                                f"client_key: {certs / 'client-enc.key'}",
                                f"client_key_password: {certs / 'password.txt'}"])
    assert counts(emulator) == 1
    emulator.stop()

    # statefun.yaml's, over module.yaml container paths.
    emulator = dev(stack, url, [f"type: {ASYNC}", "client_cert: /container/client.pem",
                                "client_key: /container/client.key"],
                   statefun_yaml=(f"tls:\n  ca: {certs / 'ca.pem'}\n"
                                  f"  client_cert: {certs / 'client.pem'}\n"
                                  f"  client_key: {certs / 'client.key'}\n"))
    assert counts(emulator) == 2
    emulator.stop()

    # None: the server's refusal is the reason.
    (stack.root / "statefun.yaml").unlink()
    emulator = dev(stack, url, [f"type: {ASYNC}", f"trust_cacerts: {certs / 'ca.pem'}"])
    reason = failure_reason(emulator, "e2e/counter/b")
    assert reason.startswith(f"TLS: the server at 127.0.0.1:{functions.port} asked for a client "
                             "certificate and none was sent"), reason


@pytest.mark.timeout(60)
def test_tls_files_that_do_not_load_stop_statefun_dev_at_start(stack, certs):
    emulator = dev(stack, "https://127.0.0.1:9/statefun",
                   [f"type: {ASYNC}", "trust_cacerts: classpath:ca.pem"], start=False)
    run = run_statefun(["dev", "-m", emulator.module_path, "--data", emulator.data_dir,
                        "--admin-port", emulator.admin_port, "--color", "never"])
    assert run.returncode == 1, run
    assert "spec.transport.trust_cacerts: \"classpath:ca.pem\" is a resource on the Java class " \
           "path, which statefun dev cannot read; give a file path, or set tls.ca in " \
           "statefun.yaml" in run.stderr + run.stdout, run

    (stack.root / "statefun.yaml").write_text(
        f"tls:\n  ca: {certs / 'ca.pem'}\n  client_cert: {certs / 'client.pem'}\n"
        f"  client_key: {certs / 'client-enc.key'}\n")
    run = run_statefun(["dev", "-m", emulator.module_path, "--data", emulator.data_dir,
                        "--admin-port", emulator.admin_port, "--color", "never"])
    assert run.returncode == 1, run
    assert f"statefun.yaml:4:15: tls.client_key: {certs / 'client-enc.key'}: the key is " \
           "encrypted and no password file is given" in run.stderr + run.stdout, run


# --- Unix sockets ------------------------------------------------------------------

@pytest.fixture
def unix_functions(stack):
    if not SDK.exists():
        raise HarnessError(f"{SDK} is missing; run scripts/setup.sh")
    # sockaddr_un holds about 107 bytes: pytest's tmp paths can be longer.
    path = Path("/tmp") / f"statefun-e2e-{stack.root.name[-20:]}-{free_ports(1)[0]}.sock"
    functions = stack._track(SocketFunctions(path, stack.logs))
    functions.start()
    yield functions
    path.unlink(missing_ok=True)


@pytest.mark.timeout(120)
def test_unix_socket_url_with_the_okhttp_transport(stack, unix_functions):
    emulator = dev(stack, f"http+unix://{unix_functions.path}/statefun", [f"type: {OKHTTP}"])
    assert counts(emulator) == 1
    assert counts(emulator) == 2


@pytest.mark.timeout(120)
def test_unix_socket_through_a_statefun_yaml_hosts_entry(stack, unix_functions):
    # A module.yaml written for a cluster (async transport, a service name).
    emulator = dev(stack, "http://functions:8000/statefun",
                   statefun_yaml=f"hosts:\n  functions: unix:{unix_functions.path}\n")
    assert f"e2e/* → http+unix://{unix_functions.path}/statefun" in emulator.output()
    assert counts(emulator) == 1
