"""A module running on both engines at once: the real StateFun engine and
`statefun dev`, each with its own function process (same code, official SDK)
and its own copy of the same module.yaml, differing only in ports and in the
function URL.

Contract:
- `retarget(text, function_url, ingress_port, egress_port, kafka=None)`: a
  module.yaml text with every endpoint's `urlPathTemplate` pointed at
  `function_url`, the playground ingress/egress `port:` values replaced (where
  the module has them) and, given `kafka`, every Kafka `address:` set to it;
  nothing else changes.
- `Pair.start(root, module_text, function_factory)`: starts both sides under
  `root` (logs, data, module files); `function_factory(stack, side)` starts
  one function process on a harness.Stack and returns it. `Pair(root)` and
  `start_side(name, ...)` start one side at a time, for tests that must not
  run both engines at once.
- `pair.both(scenario)` runs `scenario(playground)` on both sides at once (two
  threads: the waits overlap) and returns {"flink": result, "dev": result}.
- `pair.close()` stops everything it started; closing twice is harmless.
"""
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[0] / "e2e"))

import harness  # noqa: E402  (tests/e2e/harness.py: processes, statefun dev)
from engine import RealEngine  # noqa: E402
from playground import Playground  # noqa: E402

SIDES = ("flink", "dev")


def retarget(text, function_url, ingress_port, egress_port, kafka=None):
    text, urls = re.subn(r"(urlPathTemplate:\s*)\S+", rf"\g<1>{function_url}", text)
    assert urls >= 1, "module.yaml has no endpoint to retarget"
    for kind, port in (("ingress", ingress_port), ("egress", egress_port)):
        pattern = (rf"(kind:\s*io\.statefun\.playground\.v1/{kind}\s*\nspec:\s*\n"
                   r"(?:[ \t]+.*\n)*?[ \t]+port:\s*)\d+")
        text, n = re.subn(pattern, rf"\g<1>{port}", text)
        assert n <= 1, f"module.yaml has {n} playground {kind} ports"
    if kafka is not None:
        text, n = re.subn(r"(\n[ \t]+address:\s*)\S+", rf"\g<1>{kafka}", text)
        assert n >= 1, "module.yaml has no Kafka address to retarget"
    return text


class Side:
    def __init__(self, name, engine, functions, playground):
        self.name = name
        self.engine = engine        # RealEngine or harness.Emulator
        self.functions = functions  # harness.FunctionServer
        self.playground = playground


class Pair:
    def __init__(self, root):
        self.root = Path(root)
        self.stack = harness.Stack(self.root / "processes")
        self.sides = {}
        self.real = None

    @classmethod
    def start(cls, root, module_text, function_factory, dev_args=()):
        pair = cls(root)
        try:
            for name in SIDES:
                pair.start_side(name, module_text, function_factory, dev_args)
        except BaseException:
            pair.close()
            raise
        return pair

    def start_side(self, name, module_text, function_factory, dev_args=(), kafka=None):
        functions = function_factory(self.stack, name)
        ingress, egress, admin = harness.free_ports(3)
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        module = folder / "module.yaml"
        module.write_text(retarget(module_text, functions.url(), ingress, egress, kafka))
        if name == "flink":
            engine = RealEngine(module, folder)
            self.real = engine
            engine.start()
        else:
            engine = self.stack._track(harness.Emulator(
                module, folder / "data", admin, ingress, egress, self.stack.logs,
                name="statefun-dev", args=dev_args))
            engine.start()
        self.sides[name] = Side(name, engine, functions, Playground(name, ingress, egress))

    def __getitem__(self, name):
        return self.sides[name]

    def both(self, scenario):
        with ThreadPoolExecutor(len(SIDES)) as pool:
            futures = {name: pool.submit(scenario, self.sides[name].playground)
                       for name in SIDES}
            return {name: future.result() for name, future in futures.items()}

    def logs(self):
        sections = self.stack.log_sections()
        if self.real is not None:
            sections.append(("real engine", self.real.log()[-20000:]))
        return sections

    def close(self):
        if self.real is not None:
            self.real.stop()
        self.stack.close()
