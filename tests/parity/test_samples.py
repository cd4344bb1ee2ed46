"""The repository's samples, each with its own module.yaml read unchanged
(only ports and the function URL re-pointed), on the real engine and on
`statefun dev`, with the SDKs they are written with: the official JS and
Python SDKs, and our C++ SDK."""
import os
import re
import time

import pytest

from pair import harness
from test_semantics import assert_parity

SAMPLES = harness.REPO / "samples"


def sample_function(folder, cmd):
    def start(stack, side):
        return stack._function(f"{folder.name}-{side}", cmd, cmd[-1],
                               remedy=f"build the {folder.name} target (scripts/build.sh)")
    return start


# The C++ samples use our C++ SDK; ctest names the binaries, else they come
# from the build that made STATEFUN_BIN.
CPP_SHOPPING_CART = harness.Path(os.environ.get(
    "STATEFUN_CPP_SHOPPING_CART",
    harness.BUILD_DIR / "samples" / "shopping-cart-cpp" / "shopping-cart-cpp"))

GREETERS = {
    "greeter-js": (SAMPLES / "greeter", ["node", SAMPLES / "greeter" / "functions.js"]),
    "greeter-python": (SAMPLES / "greeter-python",
                       [harness.PYTHON, SAMPLES / "greeter-python" / "functions.py"]),
    "greeter-cpp": (SAMPLES / "greeter-cpp", [harness.CPP_GREETER]),
}
CARTS = {
    "shopping-cart-js": (SAMPLES / "shopping-cart",
                         ["node", SAMPLES / "shopping-cart" / "functions.js"]),
    "shopping-cart-cpp": (SAMPLES / "shopping-cart-cpp", [CPP_SHOPPING_CART]),
}


@pytest.fixture(scope="module", params=sorted(GREETERS))
def greeter_pair(request, start_pair):
    folder, cmd = GREETERS[request.param]
    pair = start_pair((folder / "module.yaml").read_text(), sample_function(folder, cmd))
    yield pair
    pair.close()  # before the next parameter's JVM starts


def test_greeter_counts_visits_per_name(greeter_pair):
    visits = ["Bob", "Alice", "Bob", "Bob", "Alice"]

    def scenario(pg):
        for name in visits:
            pg.send(f"example/person/{name}", {"name": name}, typename="example/GreetRequest")
        greetings = pg.take(len(visits), topic="greetings", parse=bytes.decode)
        pg.quiet(topic="greetings")
        per_name = {}
        for text in greetings:  # ordered per name only
            per_name.setdefault(re.match(r"Hello (\w+)!", text).group(1), []).append(text)
        return per_name

    assert_parity(greeter_pair.both(scenario), {
        "Bob": ["Hello Bob! Nice to meet you.", "Hello Bob! Good to see you again.",
                "Hello Bob! This is visit number 3."],
        "Alice": ["Hello Alice! Nice to meet you.", "Hello Alice! Good to see you again."],
    })


@pytest.fixture(scope="module", params=sorted(CARTS))
def cart_pair(request, start_pair):
    folder, cmd = CARTS[request.param]
    pair = start_pair((folder / "module.yaml").read_text(), sample_function(folder, cmd))
    yield pair
    pair.close()  # before the next parameter's JVM starts


def test_shopping_cart(cart_pair):
    # Adding to a cart is a round trip (cart -> inventory -> cart) that shows
    # on no egress; SETTLE_S is the one timing assumption of this test: the
    # real engine takes ~10 ms for it, statefun dev less.
    settle_s = 1.5

    def scenario(pg):
        pg.send("example/inventory/socks", {"quantity": 5}, typename="example/Restock")
        pg.send("example/cart/alice", {"item": "socks", "quantity": 3},
                typename="example/AddToCart")
        pg.send("example/cart/alice", {"item": "socks", "quantity": 3},
                typename="example/AddToCart")  # only 2 left: refused
        pg.send("example/cart/alice", {"item": "hats", "quantity": 1},
                typename="example/AddToCart")  # never stocked: refused
        time.sleep(settle_s)
        pg.send("example/cart/alice", {}, typename="example/Checkout")
        first = pg.take(1, topic="receipts")
        pg.send("example/cart/alice", {}, typename="example/Checkout")  # the cart was emptied
        second = pg.take(1, topic="receipts")
        pg.quiet(topic="receipts")
        return first + second

    assert_parity(cart_pair.both(scenario), [
        {"items": {"socks": 3}, "total": 3, "user": "alice"},
        {"items": {}, "total": 0, "user": "alice"},
    ])
