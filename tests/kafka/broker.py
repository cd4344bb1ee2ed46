"""A real, single-node Apache Kafka broker for the tests (KRaft: the same JVM
is broker and controller, no ZooKeeper), from the jars on Maven Central.

Contract:
- `ensure_jars()` resolves `org.apache.kafka:kafka_2.13` (tests/kafka/pom.xml)
  with Maven once into the user's cache directory
  ($XDG_CACHE_HOME or ~/.cache)/statefun/kafka/<version>/libs and returns it;
  later calls only check. A metadata directory formatted once by the broker's
  own storage tool is kept beside it and copied for each broker (formatting
  costs a JVM start).
- `KafkaBroker(workdir)` listens on 127.0.0.1 on free ports, keeps its log
  dir and its log (`broker.log`) under `workdir`, runs with -Xmx256m;
  `start()` returns when the broker logged that it started, `stop()` kills
  the JVM (its process group), `create_topic()` and `committed()` (a
  group's committed offsets) use the broker's own admin tools (kafka-tools'
  TopicCommand, ConsumerGroupCommand).
- `skip_reason()` is None where the broker can run, else why not (no Java);
  the tests skip only for that.

As a command:
    python tests/kafka/broker.py fetch           # resolve the jars only
    python tests/kafka/broker.py run -- CMD...   # CMD with STATEFUN_KAFKA_BOOTSTRAP set
"""
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
POM = HERE / "pom.xml"
KAFKA_VERSION = "4.4.0"  # keep in step with <kafka.version> in pom.xml
START_TIMEOUT_S = 90
JVM_FLAGS = ["-Xmx256m", "-Xms64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
             "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
             "-Dorg.slf4j.simpleLogger.showDateTime=true"]
# The broker's line once it serves clients (KafkaRaftServer, Kafka 3.x and 4.x).
STARTED_LINE = "Kafka Server started"


def skip_reason():
    if shutil.which("java") is None:
        return "Java is not installed: the real Kafka broker needs a JVM (Java 17)"
    return None


def cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "statefun" / "kafka" / KAFKA_VERSION


def _locked(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    f = open(path, "w")
    fcntl.flock(f, fcntl.LOCK_EX)  # several test processes may resolve at once
    return f


def ensure_jars():
    libs = cache_dir() / "libs"
    if (libs / ".complete").exists():
        return libs
    if shutil.which("mvn") is None:
        raise RuntimeError("Maven (mvn) is needed to fetch the Kafka broker's jars")
    with _locked(cache_dir() / ".lock"):
        if (libs / ".complete").exists():
            return libs
        tmp = Path(tempfile.mkdtemp(prefix="libs.", dir=cache_dir()))
        proc = subprocess.run(
            ["mvn", "-q", "-B", "-f", str(POM), "dependency:copy-dependencies",
             f"-DoutputDirectory={tmp}", "-DincludeScope=runtime",
             f"-Dkafka.version={KAFKA_VERSION}"],
            capture_output=True, text=True)
        if proc.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-5:]
            raise RuntimeError("mvn could not fetch the Kafka jars: " + " | ".join(tail))
        (tmp / ".complete").write_text(KAFKA_VERSION + "\n")
        shutil.rmtree(libs, ignore_errors=True)
        tmp.rename(libs)
    return libs


def _java(libs, main, *args, **kw):
    return ["java", *JVM_FLAGS, "-cp", f"{libs}/*", main, *args]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _properties(port, controller_port, log_dir):
    return "\n".join([
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.voters=1@127.0.0.1:{controller_port}",
        f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        f"log.dirs={log_dir}",
        "num.partitions=1",
        # One node: every internal topic has one replica and one partition.
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=1",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "transaction.state.log.num.partitions=1",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        # The tests create their topics: a missing topic must stay missing.
        "auto.create.topics.enable=false",
        "group.initial.rebalance.delay.ms=0",
        "",
    ])


def _formatted_template(libs):
    """A metadata directory formatted once (cluster id, bootstrap metadata);
    the controller's address is not in it, so each broker copies it."""
    template = cache_dir() / "formatted"
    if (template / "meta.properties").exists():
        return template
    with _locked(cache_dir() / ".lock"):
        if (template / "meta.properties").exists():
            return template
        work = Path(tempfile.mkdtemp(prefix="format.", dir=cache_dir()))
        log_dir = work / "log"
        props = work / "server.properties"
        props.write_text(_properties(free_port(), free_port(), log_dir))
        cluster_id = "c3RhdGVmdW4tdGVzdHMtMQ"  # any 16 bytes, base64url
        proc = subprocess.run(
            _java(libs, "kafka.tools.StorageTool", "format", "-t", cluster_id,
                  "-c", str(props)), capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError("kafka storage format failed: " + proc.stderr.strip()[-300:])
        shutil.rmtree(template, ignore_errors=True)
        log_dir.rename(template)
        shutil.rmtree(work, ignore_errors=True)
    return template


class KafkaBroker:
    def __init__(self, workdir):
        self.workdir = Path(workdir)
        self.port = None
        self.proc = None
        self.log_path = self.workdir / "broker.log"
        self.start_seconds = None

    @property
    def bootstrap(self):
        return f"127.0.0.1:{self.port}"

    def start(self):
        began = time.monotonic()
        libs = ensure_jars()
        template = _formatted_template(libs)
        self.workdir.mkdir(parents=True, exist_ok=True)
        log_dir = self.workdir / "kafka-logs"
        shutil.rmtree(log_dir, ignore_errors=True)
        shutil.copytree(template, log_dir)
        self.port = free_port()
        props = self.workdir / "server.properties"
        props.write_text(_properties(self.port, free_port(), log_dir))
        log = open(self.log_path, "w")
        self.proc = subprocess.Popen(_java(libs, "kafka.Kafka", str(props)),
                                     stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Kafka broker exited with {self.proc.returncode}: "
                                   + self.log_tail())
            if STARTED_LINE in self.log_path.read_text(errors="replace"):
                self.start_seconds = time.monotonic() - began
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Kafka broker did not start within {START_TIMEOUT_S} s: "
                           + self.log_tail())

    def log_tail(self, lines=5):
        try:
            return " | ".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def create_topic(self, name, partitions=1):
        self.create_topics((name, partitions))

    def create_topics(self, *specs):
        """Each spec is a name or (name, partitions); created in parallel."""
        libs = ensure_jars()
        procs = []
        for spec in specs:
            name, partitions = (spec, 1) if isinstance(spec, str) else spec
            procs.append((name, subprocess.Popen(
                _java(libs, "org.apache.kafka.tools.TopicCommand", "--bootstrap-server",
                      self.bootstrap, "--create", "--topic", name, "--partitions",
                      str(partitions), "--replication-factor", "1"),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
        for name, p in procs:
            _, err = p.communicate(timeout=60)
            if p.returncode != 0:
                raise RuntimeError(f"creating topic {name} failed: {err.strip()[-300:]}")

    def produce(self, topic, records):
        """Writes (key, value) text records, in order, with the broker's own
        console producer (acks=all); a key of None writes a null key."""
        if any(k is not None and "\t" in k for k, _ in records):
            raise ValueError("keys must not contain a tab")
        keyed = all(k is not None for k, _ in records)
        lines = "".join((f"{k}\t{v}\n" if keyed else f"{v}\n") for k, v in records)
        args = ["--bootstrap-server", self.bootstrap, "--topic", topic,
                "--producer-property", "acks=all"]
        if keyed:
            args += ["--reader-property", "parse.key=true",
                     "--reader-property", "key.separator=\t"]
        elif any(k is not None for k, _ in records):
            raise ValueError("give every record a key, or none")
        proc = subprocess.run(_java(ensure_jars(), "org.apache.kafka.tools.ConsoleProducer", *args),
                              input=lines, capture_output=True, text=True, timeout=60)
        if proc.returncode != 0 or "ERROR" in proc.stderr:
            raise RuntimeError(f"producing to {topic} failed: {proc.stderr.strip()[-400:]}")

    def consume(self, topic, max_records, timeout_ms=10000):
        """Up to `max_records` (key, value) text records of `topic` from the
        beginning, read_committed, with the broker's console consumer; it
        gives up `timeout_ms` after the last record."""
        proc = subprocess.run(
            _java(ensure_jars(), "org.apache.kafka.tools.consumer.ConsoleConsumer",
                  "--bootstrap-server", self.bootstrap, "--topic", topic, "--from-beginning",
                  "--max-messages", str(max_records), "--timeout-ms", str(timeout_ms),
                  "--isolation-level", "read_committed",
                  "--formatter-property", "print.key=true",
                  "--formatter-property", "key.separator=\t"),
            capture_output=True, text=True, timeout=120)
        out = []
        for line in proc.stdout.splitlines():
            key, _, value = line.partition("\t")
            out.append((None if key == "null" else key, value))
        return out

    def committed(self, group, topic):
        """{partition: offset} the consumer group `group` committed for
        `topic` (the broker's ConsumerGroupCommand --describe); partitions
        without a commit are left out."""
        proc = subprocess.run(
            _java(ensure_jars(), "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
                  "--bootstrap-server", self.bootstrap, "--describe", "--group", group),
            capture_output=True, text=True, timeout=60)
        out = {}
        for line in proc.stdout.splitlines():
            fields = line.split()
            # GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG ...
            if len(fields) >= 4 and fields[1] == topic and fields[3].isdigit():
                out[int(fields[2])] = int(fields[3])
        return out

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=30)
        self.proc = None


def main(argv):
    if len(argv) >= 1 and argv[0] == "fetch":
        print(ensure_jars())
        return 0
    if len(argv) >= 2 and argv[0] == "run" and argv[1] == "--":
        reason = skip_reason()
        if reason:
            print(f"broker.py: skipped: {reason}")
            return 0
        with tempfile.TemporaryDirectory(prefix="statefun-kafka-") as tmp:
            broker = KafkaBroker(tmp)
            try:
                broker.start()
                print(f"broker.py: Kafka {KAFKA_VERSION} on {broker.bootstrap}, "
                      f"started in {broker.start_seconds:.1f} s", flush=True)
                env = dict(os.environ, STATEFUN_KAFKA_BOOTSTRAP=broker.bootstrap)
                return subprocess.run(argv[2:], env=env).returncode
            finally:
                broker.stop()
    print("usage: broker.py fetch | broker.py run -- CMD...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
