"""statefun.yaml's `protos:` (and `statefun dev --proto`): the admin API, and
so the web console, show protobuf-typed values decoded with the app's own
.proto files; a .proto that does not parse stops statefun dev with where."""
import base64
import json

from harness import free_ports, http, module_yaml, run_statefun
from test_dev_loop import dev_emulator

SHOP_PROTO = """syntax = "proto3";
package shop;
message Order {
  string id = 1;
  int32 count = 2;
}
"""
# shop.Order{id: "o1", count: 3}, serialized by hand: field 1 (string), field 2 (varint).
ORDER_BYTES = b"\x0a\x02o1\x10\x03"


def project(stack, statefun_yaml):
    (port,) = free_ports(1)
    module = stack.root / "module.yaml"
    # No process serves shop/*: the message stays pending, which is all we read.
    module.write_text(module_yaml({"shop/*": f"http://localhost:{port}/statefun"}, 1, 1))
    (stack.root / "shop.proto").write_text(SHOP_PROTO)
    (stack.root / "statefun.yaml").write_text(statefun_yaml)
    return module


def send_order(emulator):
    base = f"http://127.0.0.1:{emulator.admin_port}"
    status, body = http("POST", base + "/v1/messages", json.dumps({
        "address": "shop/orders/o1", "typename": "type.googleapis.com/shop.Order",
        "base64": base64.b64encode(ORDER_BYTES).decode()}).encode(),
        {"Content-Type": "application/json"})
    assert status == 200, body
    status, body = http("GET", f"{base}/v1/messages/{json.loads(body)['id']}")
    assert status == 200, body
    return json.loads(body)["value"]


def test_protos_in_statefun_yaml_decode_values_in_the_admin_api(stack):
    emulator = dev_emulator(stack, project(stack, "protos: shop.proto\n"))
    emulator.start()
    value = send_order(emulator)
    assert value["encoding"] == "protobuf", value
    assert value["value"] == {"id": "o1", "count": 3}
    assert base64.b64decode(value["base64"]) == ORDER_BYTES


def test_without_protos_the_value_is_bytes_and_the_flag_adds_them(stack):
    emulator = dev_emulator(stack, project(stack, ""))
    emulator.start()
    assert send_order(emulator)["encoding"] == "bytes"
    emulator.stop()
    flagged = dev_emulator(stack, emulator.module_path, ["--proto", stack.root / "shop.proto"])
    flagged.start()
    assert send_order(flagged)["value"] == {"id": "o1", "count": 3}


def test_a_proto_that_does_not_parse_stops_statefun_dev_naming_where(stack):
    module = project(stack, "protos: shop.proto\n")
    (stack.root / "shop.proto").write_text('syntax = "proto3";\nmessage Order {\n  string id = ;\n}\n')
    admin, = free_ports(1)
    run = run_statefun(["dev", "-m", module, "--data", stack.root / "data",
                        "--admin-port", admin, "--no-watch"])
    assert run.returncode == 1, run
    lines = [line for line in run.stderr.splitlines() if "protos:" in line]
    assert lines and "shop.proto:3" in lines[0], run.stderr
