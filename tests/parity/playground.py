"""One HTTP client for the playground ingress/egress of either engine.

Both engines serve the same URL shapes (module-yaml.md §6-7): POST
/<namespace>/<type>/<id> on the ingress port, GET /<topic> on the egress port.
They differ in how they say the outcome: `statefun dev` answers with the real
HTTP status, the real engine (like the playground image) always answers 200
and puts the intended code in a `Status:` header. `outcome()` reads either
the same way, so a scenario is written once; the tests about that difference
look at the raw status.

Contract: every request is bounded by HTTP_TIMEOUT; every wait by its
`timeout`; failures raise AssertionError naming what was awaited.
"""
import json
import time
import urllib.error
import urllib.request

HTTP_TIMEOUT = 10.0


def request(method, url, body=None, headers=None):
    """-> (raw HTTP status, headers dict, body bytes)."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def outcome(raw_status, headers):
    """The status the server meant: the `Status:` header if there is one."""
    return int(headers.get("Status", raw_status))


class Playground:
    def __init__(self, name, ingress_port, egress_port):
        self.name = name
        self.ingress = f"http://127.0.0.1:{ingress_port}"
        self.egress = f"http://127.0.0.1:{egress_port}"

    def send(self, address, body, typename="e2e/text"):
        """POST one message to "ns/type/id"; asserts it was accepted."""
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        raw, headers, _ = request("POST", f"{self.ingress}/{address}", body,
                                  {"Content-Type": f"application/vnd.{typename}"})
        assert outcome(raw, headers) == 200, \
            f"{self.name}: ingress refused {address}: HTTP {raw}, headers {headers}"

    def pop(self, topic="out"):
        """-> payload bytes, or None when the topic is empty."""
        raw, headers, body = request("GET", f"{self.egress}/{topic}")
        code = outcome(raw, headers)
        assert code in (200, 404), f"{self.name}: GET /{topic} meant {code} (HTTP {raw})"
        return body if code == 200 else None

    def take(self, count, topic="out", timeout=20.0, parse=json.loads):
        """Exactly the next `count` records of `topic`, parsed, in order."""
        records = []
        deadline = time.monotonic() + timeout
        while len(records) < count:
            body = self.pop(topic)
            if body is not None:
                records.append(parse(body))
                continue
            if time.monotonic() >= deadline:
                raise AssertionError(f"{self.name}: {len(records)} of {count} records on "
                                     f"{topic!r} after {timeout:g} s: {records}")
            time.sleep(0.02)
        return records

    def quiet(self, topic="out", for_seconds=0.5):
        """Asserts nothing more arrives on `topic` for `for_seconds`."""
        deadline = time.monotonic() + for_seconds
        while time.monotonic() < deadline:
            body = self.pop(topic)
            assert body is None, f"{self.name}: unexpected record on {topic!r}: {body!r}"
            time.sleep(0.05)
