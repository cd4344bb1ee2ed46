"""The real Apache Flink StateFun 3.3.0 engine, for the parity tests.

Contract:
- `require_tools()` raises ToolMissing (one line: what is missing and why it
  matters) when `java` or `mvn` is not on PATH. The parity suite fails on it,
  never skips: Java and Maven are on every machine that runs CI.
- `ensure_launcher()` builds tests/parity/launcher (our Java launcher) with
  Maven once, under a file lock, into
  ($XDG_CACHE_HOME or ~/.cache)/statefun/flink-statefun/3.3.0/: `m2/` is the
  Maven repository the engine's jars (and Maven's plugins) are downloaded to
  from Maven Central, `build/<source hash>/` the compiled launcher and its
  classpath into `m2/`. Later calls only check; a changed launcher source
  rebuilds the classes without downloading again. Returns the classpath.
- `check_modules(paths)` -> {path: None if the real engine's module loader
  and validator accept that module.yaml, else the engine's error}, all in one
  short JVM that starts no job (the launcher's --check).
- `RealEngine(module_yaml, workdir)` runs the launcher on that module.yaml in
  one JVM with bounded memory and the flags Java 17 needs, keeping its log
  (`engine.log`) and Flink's temporary files (`flink-tmp/`, removed on stop)
  under `workdir`. `start()` returns once the job's source task runs and records
  `start_seconds`; `job_ended()` is the launcher's
  PARITY-JOB-ENDED line or None; `stop()` kills the JVM's process group.
  Every start's duration is appended to START_SECONDS.
"""
import fcntl
import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
LAUNCHER = HERE / "launcher"
STATEFUN_VERSION = "3.3.0"  # keep in step with <statefun.version> in launcher/pom.xml
START_TIMEOUT_S = 90        # measured 2.5-6 s; generous for a machine busy compiling
BUILD_TIMEOUT_S = 900

# The playground image's bounds (-Xmx192m, 80m direct, 64m metaspace), a
# little wider: the harness's MiniCluster loads more classes than the image.
JVM_MEMORY = ["-Xms64m", "-Xmx256m", "-XX:MaxDirectMemorySize=128m",
              "-XX:MaxMetaspaceSize=160m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]
# Flink on Java 17 reflects into these packages; without them the job fails
# at start with InaccessibleObjectException.
OPENS = ["java.base/java.lang", "java.base/java.util", "java.base/java.lang.reflect",
         "java.base/java.io", "java.base/java.net", "java.base/java.nio",
         "java.base/sun.nio.ch", "java.base/java.text", "java.base/java.time",
         "java.base/java.util.concurrent", "java.base/java.util.concurrent.atomic",
         "java.base/java.lang.invoke", "java.base/java.math", "java.base/java.security",
         "java.base/java.util.regex", "java.sql/java.sql"]
JVM_FLAGS = JVM_MEMORY + [f"--add-opens={p}=ALL-UNNAMED" for p in OPENS] + [
    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
    # TCP_NODELAY on our ingress/egress (the JDK's HttpServer): without it an
    # egress record's body waits for the ACK of its headers (Nagle against the
    # client's delayed ACK), ~40 ms per popped record.
    "-Dsun.net.httpserver.nodelay=true",
    # The job's own transitions, so a failure's cause is in engine.log.
    "-Dorg.slf4j.simpleLogger.log.org.apache.flink.runtime.executiongraph=info"]

# The job runs once its source task does: our playground source prints
# PARITY-RUNNING, and Flink logs the transition for any source (Kafka too).
RUNNING = re.compile(r"PARITY-RUNNING|Source: .* switched from INITIALIZING to RUNNING")
# Seconds from `java` to a running job, per start in this process (reported
# at the end of the pytest run).
START_SECONDS = []
ENDED_LINE = "PARITY-JOB-ENDED"


class ToolMissing(RuntimeError):
    pass


def require_tools():
    for tool, why in (("java", "the real StateFun engine is a JVM (Java 17)"),
                      ("mvn", "Maven fetches the engine's jars from Maven Central")):
        if shutil.which(tool) is None:
            raise ToolMissing(f"parity suite: `{tool}` is not installed, and {why}; "
                              "install it (scripts/setup.sh does)")


def cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "statefun" / "flink-statefun" / STATEFUN_VERSION


def _source_hash():
    digest = hashlib.sha256()
    for path in sorted(p for p in LAUNCHER.rglob("*") if p.is_file() and "target" not in p.parts):
        digest.update(str(path.relative_to(LAUNCHER)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def ensure_launcher():
    """-> the classpath string; builds on the first call (see module doc)."""
    require_tools()
    root = cache_dir()
    stamp = _source_hash()
    built = root / "build" / stamp
    if (built / ".complete").exists():
        return _classpath(built)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # several test processes may build at once
        if (built / ".complete").exists():
            return _classpath(built)
        tmp = Path(tempfile.mkdtemp(prefix="build.", dir=root))
        began = time.monotonic()
        proc = subprocess.run(
            ["mvn", "-q", "-B", "-f", str(LAUNCHER / "pom.xml"),
             f"-Dmaven.repo.local={root / 'm2'}", "compile", "dependency:build-classpath",
             f"-Dlauncher.out={tmp}", f"-Dmdep.outputFile={tmp / 'classpath.txt'}",
             "-DincludeScope=runtime"],
            capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-8:]
            raise RuntimeError("mvn could not build the parity launcher: " + " | ".join(tail))
        jars = (tmp / "classpath.txt").read_text().strip().split(os.pathsep)
        size = sum(Path(jar).stat().st_size for jar in jars)
        (tmp / ".complete").write_text(
            f"statefun {STATEFUN_VERSION}; built in {time.monotonic() - began:.1f} s; "
            f"{len(jars)} jars, {size / 2**20:.0f} MiB\n")
        shutil.rmtree(built, ignore_errors=True)
        built.parent.mkdir(parents=True, exist_ok=True)
        tmp.rename(built)
        # Older launcher builds are of no use any more.
        for old in built.parent.iterdir():
            if old != built:
                shutil.rmtree(old, ignore_errors=True)
    return _classpath(built)


def _classpath(built):
    return f"{built / 'classes'}{os.pathsep}" + (built / "classpath.txt").read_text().strip()


def check_modules(paths):
    classpath = ensure_launcher()
    proc = subprocess.run(
        ["java", *JVM_FLAGS, "-cp", classpath, "statefun.parity.Launcher", "--check",
         *map(str, paths)],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    verdicts = {}
    for line in proc.stdout.splitlines():
        if line.startswith("PARITY-CHECK ok "):
            verdicts[line[len("PARITY-CHECK ok "):]] = None
        elif line.startswith("PARITY-CHECK rejected "):
            path, _, why = line[len("PARITY-CHECK rejected "):].partition(": ")
            verdicts[path] = why
    missing = [str(p) for p in paths if str(Path(p).resolve()) not in verdicts]
    if missing:
        raise RuntimeError(f"launcher --check gave no verdict for {missing}: "
                           + (proc.stdout + proc.stderr)[-2000:])
    return {p: verdicts[str(Path(p).resolve())] for p in paths}


class RealEngine:
    def __init__(self, module_yaml, workdir):
        self.module_yaml = Path(module_yaml)
        self.workdir = Path(workdir)
        self.log_path = self.workdir / "engine.log"
        self.tmp_dir = self.workdir / "flink-tmp"
        self.proc = None
        self.start_seconds = None

    def start(self):
        classpath = ensure_launcher()
        self.workdir.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.tmp_dir, ignore_errors=True)
        self.tmp_dir.mkdir()
        began = time.monotonic()
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                ["java", *JVM_FLAGS, "-cp", classpath, "statefun.parity.Launcher",
                 str(self.module_yaml), str(self.tmp_dir)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            text = self.log()
            if RUNNING.search(text):
                self.start_seconds = time.monotonic() - began
                START_SECONDS.append(self.start_seconds)
                return self
            if ENDED_LINE in text or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("the real engine did not start: " + self.log_tail())
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the real engine did not start within {START_TIMEOUT_S} s: "
                           + self.log_tail())

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines=8):
        return " | ".join(self.log().splitlines()[-lines:]) or "(empty log)"

    def job_ended(self):
        for line in self.log().splitlines():
            if line.startswith(ENDED_LINE):
                return line
        return None

    def stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=30)
            self.proc = None
        shutil.rmtree(self.tmp_dir, ignore_errors=True)


if __name__ == "__main__":
    # `python tests/parity/engine.py fetch`: build the launcher (download the
    # engine on the first run) and print how it went.
    import sys
    if sys.argv[1:] != ["fetch"]:
        sys.exit("usage: engine.py fetch")
    began = time.monotonic()
    classpath = ensure_launcher()
    built = Path(classpath.split(os.pathsep)[0]).parent
    print(f"{built}: {(built / '.complete').read_text().strip()} "
          f"(this call {time.monotonic() - began:.1f} s)")
