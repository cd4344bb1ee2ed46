"""The samples/ greeters, exactly as a user would run them."""
import pytest

GREET_REQUEST = "example/GreetRequest"


@pytest.mark.timeout(90)
@pytest.mark.parametrize("sample", ["js", "python", "cpp"])
def test_greeter_sample_greets_bob_twice_and_counts_his_visits(stack, sample):
    functions = {"js": stack.js_greeter, "python": stack.python_greeter,
                 "cpp": stack.cpp_greeter}[sample]()
    emulator = stack.emulator({"example/*": functions.url("/statefun")}, topics=["greetings"])

    for _ in range(2):
        assert emulator.send("example/person/Bob", '{"name": "Bob"}', GREET_REQUEST) == 200
    emulator.wait_idle()

    greetings = []
    for _ in range(2):
        status, body = emulator.pop("greetings")
        assert status == 200, f"expected a greeting, got {status} {body!r}"
        greetings.append(body.decode())
    assert all(g.startswith("Hello Bob!") for g in greetings), greetings
    assert greetings[0] != greetings[1], "the second visit should be greeted differently"

    assert emulator.pop("greetings")[0] == 404
    assert emulator.state_int("example/person/Bob", "visits") == 2
