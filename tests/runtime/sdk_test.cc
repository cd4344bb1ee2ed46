// The C++ SDK (runtime/sdk/statefun_sdk.h) on the wire: requests are built
// with the engine's codec (itself checked against the JS SDK's bytes), and
// answers are compared with what the official SDKs send
// (docs/sdk-behaviour.md, docs/protocol.md "A first call", docs/types.md).
#include <httplib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include "egress.pb.h"
#include "runtime/protocol/codec.h"
#include "runtime/protocol/well_known_types.h"
#include "runtime/sdk/statefun_sdk.h"
#include "tests/test_util.h"

namespace sf = statefun::sdk;
using namespace std::chrono_literals;
using statefun::Address;
using statefun::BatchRequest;
using statefun::DelayedMessage;
using statefun::ExpireMode;
using statefun::IncompleteContext;
using statefun::InvocationResult;
using statefun::MutationKind;
using statefun::StateSpec;
using statefun::TypedValue;
using statefun::test::from_hex;
using statefun::test::to_hex;

namespace {

const auto kGreetRequest = sf::types::Json("example/GreetRequest");
const auto kVisits = sf::ValueSpec<int32_t>("visits", sf::types::Int);
const auto kText = sf::types::Raw("test/text");

const Address kSelf{{"test", "fn"}, "me"};

TypedValue text(const std::string& value) { return {"test/text", true, value}; }

// A batch for kSelf: `states` as the runtime attaches them, one invocation
// per argument, all from an ingress (no caller).
BatchRequest batch(std::vector<statefun::StateEntry> states, std::vector<TypedValue> arguments) {
  BatchRequest request{kSelf, std::move(states), {}};
  for (auto& argument : arguments) request.invocations.push_back({std::nullopt, argument});
  return request;
}

sf::HandleResult run(const sf::Functions& functions, const BatchRequest& request) {
  return functions.handle(statefun::codec::encode_request(request));
}

// The InvocationResult of a successful answer (fails the test otherwise).
InvocationResult effects_of(const sf::HandleResult& result) {
  INFO("status " << result.status << ", body: " << result.body);
  REQUIRE(result.status == 200);
  REQUIRE(result.content_type == "application/octet-stream");
  auto decoded = statefun::codec::decode_response(result.body);
  REQUIRE(decoded);
  auto* effects = std::get_if<InvocationResult>(&*decoded);
  REQUIRE(effects != nullptr);
  return *effects;
}

IncompleteContext incomplete_of(const sf::HandleResult& result) {
  REQUIRE(result.status == 200);
  auto decoded = statefun::codec::decode_response(result.body);
  REQUIRE(decoded);
  auto* incomplete = std::get_if<IncompleteContext>(&*decoded);
  REQUIRE(incomplete != nullptr);
  return *incomplete;
}

statefun::StateEntry int_state(const std::string& name, int32_t value) {
  return {name, TypedValue{"io.statefun.types/int", true, statefun::types::encode_int(value)}};
}

statefun::StateEntry no_value(const std::string& name) { return {name, std::nullopt}; }

// The playground greeter, as in samples/greeter/functions.js but with the
// "Welcome <name>" greeting of docs/protocol.md, so its answers can be compared byte for
// byte with the exchange in docs/protocol.md ("A first call").
sf::Functions greeter_functions() {
  sf::Functions functions;
  functions.bind("example/person", {kVisits}, [](sf::Context& context, const sf::Message& message) {
    const auto request = message.as(kGreetRequest);
    const int32_t visits = context.storage().get(kVisits).value_or(0) + 1;
    context.storage().set(kVisits, visits);
    const std::string name = request.at("name");
    context.send(sf::message_to(sf::address("example/greeter", name), kGreetRequest,
                                {{"name", name}, {"visits", visits}}));
  });
  functions.bind("example/greeter", [](sf::Context& context, const sf::Message& message) {
    const std::string name = message.as(kGreetRequest).at("name");
    context.send_egress(sf::playground_egress("greetings", "Welcome " + name));
  });
  return functions;
}

const std::string kPersonBob =
    from_hex("0a 16 0a 07") + "example" + from_hex("12 06") + "person" + from_hex("1a 03") + "Bob";
const std::string kGreetBob = from_hex("12 28 0a 14") + "example/GreetRequest" +
                              from_hex("10 01 1a 0e") + R"({"name":"Bob"})";

}  // namespace

// --- the handshake -----------------------------------------------------------

TEST_CASE("first contact answers the missing specs exactly as the JS SDK does", "[sdk-cpp]") {
  const auto request = from_hex("a2 06 44") + kPersonBob + from_hex("1a 2a") + kGreetBob;

  const auto result = greeter_functions().handle(request);

  CHECK(result.status == 200);
  CHECK(result.content_type == "application/octet-stream");
  CHECK(to_hex(result.body) == to_hex(from_hex("aa 06 21 0a 1f 0a 06") + "visits" +
                                      from_hex("1a 15") + "io.statefun.types/int"));
}

TEST_CASE("every missing spec is requested in declaration order and no user code runs",
          "[sdk-cpp]") {
  int calls = 0;
  sf::Functions functions;
  functions.bind("test/fn",
                 {sf::ValueSpec<std::string>("b", sf::types::String).expire_after_write(5s),
                  sf::ValueSpec<int32_t>("a"),
                  sf::ValueSpec<bool>("c", sf::types::Bool).expire_after_invoke(250ms)},
                 [&](sf::Context&, const sf::Message&) { ++calls; });

  SECTION("none attached") {
    const auto incomplete = incomplete_of(run(functions, batch({}, {text("x")})));
    CHECK(incomplete.missing ==
          std::vector<StateSpec>{{"b", "io.statefun.types/string", ExpireMode::kAfterWrite, 5000},
                                 {"a", "io.statefun.types/int", ExpireMode::kNone, 0},
                                 {"c", "io.statefun.types/bool", ExpireMode::kAfterInvoke, 250}});
  }
  SECTION("an attached entry without a value is not missing; undeclared entries are ignored") {
    const auto incomplete =
        incomplete_of(run(functions, batch({no_value("a"), int_state("zzz", 1)}, {text("x")})));
    REQUIRE(incomplete.missing.size() == 2);
    CHECK(incomplete.missing[0].name == "b");
    CHECK(incomplete.missing[1].name == "c");
  }
  CHECK(calls == 0);
}

TEST_CASE("a spec without expiration has no expiration_spec on the wire", "[sdk-cpp]") {
  sf::Functions functions;
  functions.bind("test/fn", {sf::ValueSpec<int32_t>("a")}, [](sf::Context&, const sf::Message&) {});
  const auto body = run(functions, batch({}, {text("x")})).body;
  // aa 06 len 0a len [0a 01 'a'] [1a 15 typename]: no field 2 (tag 0x12).
  CHECK(to_hex(body) == to_hex(from_hex("aa 06 1c 0a 1a 0a 01") + "a" + from_hex("1a 15") +
                               "io.statefun.types/int"));
}

// --- the greeter, byte for byte -------------------------------------------------

TEST_CASE("the greeter's person answers protocol.md's response 2 byte for byte", "[sdk-cpp]") {
  const auto request = from_hex("a2 06 4e") + kPersonBob + from_hex("12 08 0a 06") + "visits" +
                       from_hex("1a 2a") + kGreetBob;

  const auto result = greeter_functions().handle(request);

  const auto expected = from_hex("a2 06 7e 0a 2c 08 01 12 06") + "visits" +
                        from_hex("1a 20 0a 15") + "io.statefun.types/int" +
                        from_hex("10 01 1a 05 0d 01 00 00 00") + from_hex("12 4e 0a 17 0a 07") +
                        "example" + from_hex("12 07") + "greeter" + from_hex("1a 03") + "Bob" +
                        from_hex("12 33 0a 14") + "example/GreetRequest" + from_hex("10 01 1a 19") +
                        R"({"name":"Bob","visits":1})";
  CHECK(result.status == 200);
  CHECK(to_hex(result.body) == to_hex(expected));
}

TEST_CASE("the greeter's egress answers protocol.md's response 3 byte for byte", "[sdk-cpp]") {
  const auto request = from_hex("a2 06 68 0a 17 0a 07") + "example" + from_hex("12 07") +
                       "greeter" + from_hex("1a 03") + "Bob" + from_hex("1a 4d") + kPersonBob +
                       from_hex("12 33 0a 14") + "example/GreetRequest" + from_hex("10 01 1a 19") +
                       R"({"name":"Bob","visits":1})";

  const auto result = greeter_functions().handle(request);

  const auto expected = from_hex("a2 06 7a 22 78 0a 16") + "io.statefun.playground" +
                        from_hex("12 06") + "egress" + from_hex("1a 56 0a 23") +
                        "io.statefun.playground/EgressRecord" + from_hex("10 01 1a 2d") +
                        R"({"topic":"greetings","payload":"Welcome Bob"})";
  CHECK(to_hex(result.body) == to_hex(expected));
}

// --- batches and mutations --------------------------------------------------------

TEST_CASE("a batch runs in order, later messages see earlier writes, one net mutation per state",
          "[sdk-cpp]") {
  const auto count = sf::ValueSpec<int32_t>("count");
  const auto untouched = sf::ValueSpec<std::string>("untouched");
  std::vector<std::string> seen;
  sf::Functions functions;
  functions.bind("test/fn", {count, untouched},
                 [&](sf::Context& context, const sf::Message& message) {
                   const int32_t now = context.storage().get(count).value_or(0);
                   seen.push_back(message.as(kText) + "@" + std::to_string(now));
                   context.storage().set(count, now + 1);
                   CHECK(context.storage().get(untouched) == "kept");
                 });

  const auto effects = effects_of(
      run(functions, batch({int_state("count", 0),
                            {"untouched", TypedValue{"io.statefun.types/string", true,
                                                     statefun::types::encode_string("kept")}}},
                           {text("a"), text("b"), text("c")})));

  CHECK(seen == std::vector<std::string>{"a@0", "b@1", "c@2"});
  REQUIRE(effects.mutations.size() == 1);
  CHECK(effects.mutations[0].kind == MutationKind::kModify);
  CHECK(effects.mutations[0].name == "count");
  CHECK(effects.mutations[0].value ==
        TypedValue{"io.statefun.types/int", true, statefun::types::encode_int(3)});
}

TEST_CASE("a state written or removed gets a mutation with its final value, even if unchanged",
          "[sdk-cpp]") {
  const auto a = sf::ValueSpec<int32_t>("a");
  const auto b = sf::ValueSpec<int32_t>("b");
  const auto c = sf::ValueSpec<int32_t>("c");
  sf::Functions functions;
  functions.bind("test/fn", {a, b, c}, [&](sf::Context& context, const sf::Message&) {
    context.storage().set(a, 7);  // unchanged
    context.storage().set(b, 1);
    context.storage().remove(b);  // written, then removed: DELETE
    context.storage().remove(c);
    context.storage().set(c, 2);  // removed, then written: MODIFY
  });

  const auto effects = effects_of(
      run(functions, batch({int_state("a", 7), int_state("b", 5), no_value("c")}, {text("x")})));

  REQUIRE(effects.mutations.size() == 3);
  CHECK(effects.mutations[0].kind == MutationKind::kModify);
  CHECK(effects.mutations[0].value.value == statefun::types::encode_int(7));
  CHECK(effects.mutations[1].kind == MutationKind::kDelete);
  CHECK(effects.mutations[1].name == "b");
  CHECK(effects.mutations[2].kind == MutationKind::kModify);
  CHECK(effects.mutations[2].value.value == statefun::types::encode_int(2));
}

TEST_CASE("a DELETE is only the state name on the wire, like the Python SDK's", "[sdk-cpp]") {
  const auto state = sf::ValueSpec<int32_t>("c");
  sf::Functions functions;
  functions.bind("test/fn", {state}, [&](sf::Context& context, const sf::Message&) {
    context.storage().remove(state);
  });
  const auto body = run(functions, batch({int_state("c", 1)}, {text("x")})).body;
  CHECK(to_hex(body) ==
        "a20605"
        "0a03120163");
}

TEST_CASE("an empty batch answers an empty invocation result", "[sdk-cpp]") {
  const auto result = run(greeter_functions(), BatchRequest{{{"example", "greeter"}, "x"}, {}, {}});
  CHECK(to_hex(result.body) == "a20600");
}

TEST_CASE("zero values are values: zero bytes with has_value, read back as zero", "[sdk-cpp]") {
  const auto i = sf::ValueSpec<int32_t>("i");
  const auto s = sf::ValueSpec<std::string>("s");
  const auto b = sf::ValueSpec<bool>("b");
  const auto d = sf::ValueSpec<double>("d");
  std::optional<int32_t> read;
  sf::Functions functions;
  functions.bind("test/fn", {i, s, b, d}, [&](sf::Context& context, const sf::Message&) {
    read = context.storage().get(i);
    context.storage().set(i, 0);
    context.storage().set(s, std::string());
    context.storage().set(b, false);
    context.storage().set(d, 0.0);
  });

  const auto effects =
      effects_of(run(functions, batch({{"i", TypedValue{"io.statefun.types/int", true, ""}},
                                       no_value("s"),
                                       no_value("b"),
                                       no_value("d")},
                                      {text("x")})));

  CHECK(read == 0);
  REQUIRE(effects.mutations.size() == 4);
  for (const auto& mutation : effects.mutations) {
    CHECK(mutation.kind == MutationKind::kModify);
    CHECK(mutation.value.has_value);
    CHECK(mutation.value.value.empty());
  }
}

// --- typed state ----------------------------------------------------------------

TEST_CASE("every built-in type round-trips through state", "[sdk-cpp]") {
  using Record = io::statefun::sdk::egress::KafkaProducerRecord;
  const auto i = sf::ValueSpec<int32_t>("i", sf::types::Int);
  const auto l = sf::ValueSpec<int64_t>("l", sf::types::Long);
  const auto b = sf::ValueSpec<bool>("b", sf::types::Bool);
  const auto f = sf::ValueSpec<float>("f", sf::types::Float);
  const auto d = sf::ValueSpec<double>("d", sf::types::Double);
  const auto s = sf::ValueSpec<std::string>("s", sf::types::String);
  const auto j = sf::ValueSpec<nlohmann::json>("j", sf::types::Json("test/json"));
  const auto r = sf::ValueSpec<std::string>("r", sf::types::Raw("test/raw"));
  const auto p = sf::ValueSpec<Record>("p", sf::types::Protobuf<Record>());
  const std::vector<StateSpec> specs{i, l, b, f, d, s, j, r, p};
  CHECK(p.spec().type_name == "type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord");

  sf::Functions functions;
  functions.bind("test/fn", specs, [&](sf::Context& context, const sf::Message& message) {
    auto& storage = context.storage();
    if (message.as(kText) == "write") {
      Record record;
      record.set_topic("t");
      storage.set(i, -1);
      storage.set(l, int64_t{1} << 40);
      storage.set(b, true);
      storage.set(f, 1.5f);
      storage.set(d, -2.25);
      storage.set(s, std::string("é"));
      storage.set(j, nlohmann::json{{"k", {1, 2}}});
      storage.set(r, std::string("\x00\xff", 2));
      storage.set(p, record);
      return;
    }
    CHECK(storage.get(i) == -1);
    CHECK(storage.get(l) == int64_t{1} << 40);
    CHECK(storage.get(b) == true);
    CHECK(storage.get(f) == 1.5f);
    CHECK(storage.get(d) == -2.25);
    CHECK(storage.get(s) == "é");
    CHECK(storage.get(j) == nlohmann::json{{"k", {1, 2}}});
    CHECK(storage.get(r) == std::string("\x00\xff", 2));
    CHECK(storage.get(p)->topic() == "t");
  });

  std::vector<statefun::StateEntry> empty;
  for (const auto& spec : specs) empty.push_back(no_value(spec.name));
  const auto written = effects_of(run(functions, batch(empty, {text("write")})));
  REQUIRE(written.mutations.size() == specs.size());
  std::vector<statefun::StateEntry> stored;
  for (const auto& mutation : written.mutations) {
    stored.push_back({mutation.name, mutation.value});
  }
  CHECK(to_hex(stored[0].value->value) == "0dffffffff");  // docs/types.md: int -1
  CHECK(to_hex(stored[3].value->value) == "0d0000c03f");  // float 1.5
  CHECK(stored[6].value->value == R"({"k":[1,2]})");
  effects_of(run(functions, batch(stored, {text("read")})));
}

TEST_CASE("reading a state stored under another typename fails the batch with 500", "[sdk-cpp]") {
  sf::Functions functions;
  functions.bind("test/fn", {kVisits},
                 [](sf::Context& context, const sf::Message&) { context.storage().get(kVisits); });
  const auto result = run(
      functions, batch({{"visits", TypedValue{"io.statefun.types/long", true, ""}}}, {text("x")}));
  CHECK(result.status == 500);
  CHECK_THAT(result.body, Catch::Contains("type mismatch") && Catch::Contains("visits"));
}

TEST_CASE("a value with has_value false reads as absent", "[sdk-cpp]") {
  std::optional<int32_t> read = 1;
  sf::Functions functions;
  functions.bind("test/fn", {kVisits}, [&](sf::Context& context, const sf::Message&) {
    read = context.storage().get(kVisits);
  });
  effects_of(run(functions,
                 batch({{"visits", TypedValue{"io.statefun.types/int", false, ""}}}, {text("x")})));
  CHECK(read == std::nullopt);
}

TEST_CASE("touching an undeclared state or writing another type fails the batch", "[sdk-cpp]") {
  const auto undeclared = sf::ValueSpec<int32_t>("other");
  const auto retyped = sf::ValueSpec<int64_t>("visits");
  int step = GENERATE(0, 1, 2);
  sf::Functions functions;
  functions.bind("test/fn", {kVisits}, [&](sf::Context& context, const sf::Message&) {
    if (step == 0) context.storage().get(undeclared);
    if (step == 1) context.storage().remove(undeclared);
    if (step == 2) context.storage().set(retyped, int64_t{1});
  });
  const auto result = run(functions, batch({no_value("visits")}, {text("x")}));
  CHECK(result.status == 500);
  CHECK_THAT(result.body, Catch::Contains(step == 2 ? "visits" : "other"));
}

// --- messages and callers ---------------------------------------------------------

TEST_CASE("the context tells self and caller; an ingress message has no caller", "[sdk-cpp]") {
  std::vector<std::string> seen;
  sf::Functions functions;
  functions.bind("test/fn", [&](sf::Context& context, const sf::Message&) {
    seen.push_back(context.self().str() + " from " +
                   (context.caller() ? context.caller()->str() : "nobody"));
  });
  auto request = batch({}, {text("a"), text("b")});
  request.invocations[1].caller = Address{{"test", "other"}, "x"};
  effects_of(run(functions, request));
  CHECK(seen == std::vector<std::string>{"test/fn/me from nobody", "test/fn/me from test/other/x"});
}

TEST_CASE("messages pick their type, check it when read and keep the send order", "[sdk-cpp]") {
  sf::Functions functions;
  functions.bind("test/fn", [&](sf::Context& context, const sf::Message& message) {
    CHECK(message.is(kText));
    CHECK_FALSE(message.is<std::string>());
    CHECK_THROWS_WITH(message.as<int32_t>(), Catch::Contains("type mismatch"));
    const auto to = sf::address("test/sink", "s1");
    context.send(sf::message_to(to, "text"));
    context.send(sf::message_to(to, std::string("text")));
    context.send(sf::message_to(to, 5));
    context.send(sf::message_to(to, int64_t{5}));
    context.send(sf::message_to(to, true));
    context.send(sf::message_to(to, 0.5));
    context.send(sf::message_to(to, kText, std::string("raw")));
  });
  const auto effects = effects_of(run(functions, batch({}, {text("x")})));
  std::vector<std::string> type_names;
  for (const auto& message : effects.messages) {
    CHECK(message.target == Address{{"test", "sink"}, "s1"});
    CHECK(message.argument.has_value);
    type_names.push_back(message.argument.type_name);
  }
  CHECK(type_names == std::vector<std::string>{"io.statefun.types/string",
                                               "io.statefun.types/string", "io.statefun.types/int",
                                               "io.statefun.types/long", "io.statefun.types/bool",
                                               "io.statefun.types/double", "test/text"});
  CHECK(to_hex(effects.messages[0].argument.value) == "0a0474657874");
  CHECK(effects.messages[6].argument.value == "raw");
}

TEST_CASE("a received message decodes with as<T>() and the default types", "[sdk-cpp]") {
  const sf::Message message(TypedValue{"io.statefun.types/int", true, from_hex("0d 05 00 00 00")});
  CHECK(message.is<int32_t>());
  CHECK(message.as<int32_t>() == 5);
  CHECK(message.as(sf::types::Int) == 5);
  const sf::Message broken(TypedValue{"io.statefun.types/string", true, from_hex("0a 05 61")});
  CHECK_THROWS_WITH(broken.as<std::string>(), Catch::Contains("io.statefun.types/string"));
}

// --- delayed messages --------------------------------------------------------------

TEST_CASE("delayed messages, tokens and cancellations are encoded in call order", "[sdk-cpp]") {
  sf::Functions functions;
  functions.bind("test/fn", [&](sf::Context& context, const sf::Message&) {
    const auto to = sf::address("test/sink", "s1");
    context.send_after(10ms, sf::message_to(to, "plain"));
    context.send_after(1500ms, sf::message_to(to, "cancellable"), "tok-1");
    context.send_after(0ms, sf::message_to(to, "now"));
    context.cancel_delayed_message("tok-0");
  });
  const auto result = run(functions, batch({}, {text("x")}));
  const auto effects = effects_of(result);

  REQUIRE(effects.delayed.size() == 4);
  CHECK(effects.delayed[0].delay_ms == 10);
  CHECK(effects.delayed[0].cancellation_token.empty());
  CHECK_FALSE(effects.delayed[0].is_cancellation);
  CHECK(effects.delayed[1].delay_ms == 1500);
  CHECK(effects.delayed[1].cancellation_token == "tok-1");
  CHECK(effects.delayed[1].target == Address{{"test", "sink"}, "s1"});
  CHECK(effects.delayed[2].delay_ms == 0);
  CHECK(effects.delayed[3].is_cancellation);
  CHECK(effects.delayed[3].cancellation_token == "tok-0");
  // docs/protocol.md: a cancellation (field 10 true, field 11 the token) is exactly `50 01 5a 05
  // "tok-0"`.
  CHECK_THAT(to_hex(result.body), Catch::EndsWith("1a09"
                                                  "5001"
                                                  "5a05" +
                                                  to_hex("tok-0")));
}

TEST_CASE("a negative delay or an empty token fails the batch before reaching the runtime",
          "[sdk-cpp]") {
  const int mistake = GENERATE(0, 1, 2);
  sf::Functions functions;
  functions.bind("test/fn", [&](sf::Context& context, const sf::Message&) {
    const auto message = sf::message_to(sf::address("test/sink", "s1"), "x");
    if (mistake == 0) context.send_after(-1ms, message);
    if (mistake == 1) context.send_after(1ms, message, "");
    if (mistake == 2) context.cancel_delayed_message("");
  });
  const auto result = run(functions, batch({}, {text("x")}));
  CHECK(result.status == 500);
  CHECK_THAT(result.body, Catch::Contains(mistake == 0 ? "negative" : "token"));
}

// --- egress -----------------------------------------------------------------------

TEST_CASE("a playground egress record is the JS SDK's JSON", "[sdk-cpp]") {
  const auto record = sf::playground_egress("out", "hi \"you\"");
  CHECK(record.egress_id() == "io.statefun.playground/egress");
  CHECK(record.argument == TypedValue{"io.statefun.playground/EgressRecord", true,
                                      R"({"topic":"out","payload":"hi \"you\""})"});
}

TEST_CASE("Kafka and Kinesis records have the bytes of types.md §5", "[sdk-cpp]") {
  const auto kafka = sf::kafka_egress("example/kafka", {.topic = "t", .key = "k", .value = "v"});
  CHECK(kafka.egress_namespace == "example");
  CHECK(kafka.egress_type == "kafka");
  CHECK(kafka.argument.type_name ==
        "type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord");
  CHECK(to_hex(kafka.argument.value) == "0a016b1201761a0174");
  CHECK(to_hex(sf::kafka_egress("a/b", {.topic = "t", .value = "v"}).argument.value) ==
        "1201761a0174");  // no key: a null Kafka key

  const auto kinesis = sf::kinesis_egress(
      "example/kinesis",
      {.stream = "s", .partition_key = "p", .value = "v", .explicit_hash_key = "1"});
  CHECK(kinesis.argument.type_name ==
        "type.googleapis.com/io.statefun.sdk.egress.KinesisEgressRecord");
  CHECK(to_hex(kinesis.argument.value) ==
        "0a0170120176"
        "1a0173220131");

  CHECK_THROWS_AS(sf::kafka_egress("a/b", {.value = "v"}), std::invalid_argument);
  CHECK_THROWS_AS(sf::kinesis_egress("a/b", {.stream = "s", .value = "v"}), std::invalid_argument);
  CHECK_THROWS_AS(sf::kafka_egress("no-slash", {.topic = "t"}), std::invalid_argument);
}

TEST_CASE("egress values without a type are encoded as the official SDKs do", "[sdk-cpp]") {
  CHECK(to_hex(sf::egress_bytes(5)) == "00000005");
  CHECK(to_hex(sf::egress_bytes(int64_t{-2})) == "fffffffffffffffe");
  CHECK(to_hex(sf::egress_bytes(1.5)) == "3ff8000000000000");
  CHECK(to_hex(sf::egress_bytes(1.5f)) == "3fc00000");
  CHECK(sf::egress_bytes("héllo") == "héllo");
  CHECK(sf::egress_bytes(std::string("x")) == "x");
}

TEST_CASE("egress records leave in call order; custom egresses carry their type", "[sdk-cpp]") {
  sf::Functions functions;
  functions.bind("test/fn", [&](sf::Context& context, const sf::Message&) {
    context.send_egress(sf::playground_egress("out", "1"));
    context.send_egress(sf::egress_message("test/custom", sf::types::Int, 2));
  });
  const auto effects = effects_of(run(functions, batch({}, {text("x")})));
  REQUIRE(effects.egress.size() == 2);
  CHECK(effects.egress[0].egress_id() == "io.statefun.playground/egress");
  CHECK(effects.egress[1].egress_id() == "test/custom");
  CHECK(effects.egress[1].argument.type_name == "io.statefun.types/int");
}

// --- failures -----------------------------------------------------------------------

TEST_CASE("a body that is not an invocation batch gets 400 with a reason", "[sdk-cpp]") {
  const std::string body =
      GENERATE(std::string(), from_hex("ff ff ff ff 0f 00 13 37"), from_hex("0a 00"));
  const auto result = greeter_functions().handle(body);
  CHECK(result.status == 400);
  CHECK_THAT(result.content_type, Catch::StartsWith("text/plain"));
  CHECK_THAT(result.body, Catch::StartsWith("malformed request"));
}

TEST_CASE("an unknown function type gets 500 naming it", "[sdk-cpp]") {
  const auto result = run(greeter_functions(), batch({}, {text("x")}));
  CHECK(result.status == 500);
  CHECK(result.body == "unknown function type test/fn");
}

TEST_CASE("an exception in user code gets 500 with its text and none of the effects", "[sdk-cpp]") {
  sf::Functions functions;
  functions.bind("test/fn", {kVisits}, [](sf::Context& context, const sf::Message& message) {
    context.storage().set(kVisits, 1);
    context.send(sf::message_to(sf::address("test/sink", "s"), "x"));
    if (message.as(kText) == "boom") throw std::runtime_error("boom happened");
    if (message.as(kText) == "int") throw 42;
  });
  auto result = run(functions, batch({no_value("visits")}, {text("ok"), text("boom")}));
  CHECK(result.status == 500);
  CHECK_THAT(result.content_type, Catch::StartsWith("text/plain"));
  CHECK(result.body == "boom happened");

  result = run(functions, batch({no_value("visits")}, {text("int")}));
  CHECK(result.status == 500);
  CHECK_FALSE(result.body.empty());
}

// --- declarations -----------------------------------------------------------------

TEST_CASE("malformed declarations are refused when they are made", "[sdk-cpp]") {
  const auto noop = [](sf::Context&, const sf::Message&) {};
  CHECK_THROWS_AS(sf::ValueSpec<int32_t>("1st"), std::invalid_argument);
  CHECK_THROWS_AS(sf::ValueSpec<int32_t>("has space"), std::invalid_argument);
  CHECK_THROWS_AS(sf::ValueSpec<int32_t>("").expire_after_write(1ms), std::invalid_argument);
  CHECK_THROWS_AS(sf::ValueSpec<int32_t>("ok").expire_after_write(0ms), std::invalid_argument);
  CHECK_THROWS_AS(sf::types::Json("no-namespace"), std::invalid_argument);
  CHECK_THROWS_AS(sf::address("test/fn", ""), std::invalid_argument);
  CHECK_THROWS_AS(sf::address("fn", "id"), std::invalid_argument);

  sf::Functions functions;
  functions.bind("test/fn", noop);
  CHECK_THROWS_AS(functions.bind("test/fn", noop), std::invalid_argument);
  CHECK_THROWS_AS(functions.bind("bad", noop), std::invalid_argument);
  CHECK_THROWS_AS(functions.bind("test/twice", {kVisits, kVisits}, noop), std::invalid_argument);
  CHECK_THROWS_AS(functions.bind("test/empty", sf::Handler()), std::invalid_argument);
}

TEST_CASE("the last expiration set on a spec wins", "[sdk-cpp]") {
  const auto spec = sf::ValueSpec<int32_t>("v").expire_after_write(1s).expire_after_invoke(2s);
  CHECK(spec.spec() == StateSpec{"v", "io.statefun.types/int", ExpireMode::kAfterInvoke, 2000});
}

// --- differential: the official JS SDK and ours on the same requests ---------------
//
// tests/sdk/js_wire_fixture.js binds fixture/counter, fixture/timer and
// fixture/echo with the JS SDK (its header documents them); the same functions
// are bound here with the C++ SDK. Both answers are decoded and re-encoded by
// the codec, which makes them comparable although the JS SDK orders some
// fields differently.

namespace {

const auto kCount = sf::ValueSpec<int32_t>("count");
const auto kSeenText = sf::ValueSpec<std::string>("seen").expire_after_write(5000ms);
const auto kScratch = sf::ValueSpec<int32_t>("scratch");

sf::Functions fixture_functions() {
  const auto egress = [](sf::Context& context, const std::string& payload) {
    context.send_egress(sf::playground_egress("out", payload));
  };
  sf::Functions functions;
  functions.bind("fixture/counter", {kCount}, [=](sf::Context& context, const sf::Message&) {
    const int32_t n = context.storage().get(kCount).value_or(0) + 1;
    context.storage().set(kCount, n);
    context.send(sf::message_to(sf::address("fixture/sink", context.self().id), n));
    egress(context, "count=" + std::to_string(n));
  });
  functions.bind("fixture/timer", {kSeenText, kScratch},
                 [](sf::Context& context, const sf::Message& message) {
                   const auto sink = sf::address("fixture/sink", "x");
                   context.storage().set(kSeenText, message.as<std::string>());
                   context.storage().remove(kScratch);
                   context.send_after(1500ms, sf::message_to(sink, "delayed"), "tok-1");
                   context.send_after(10ms, sf::message_to(sink, "plain"));
                   context.cancel_delayed_message("tok-0");
                 });
  functions.bind("fixture/echo", [=](sf::Context& context, const sf::Message& message) {
    const auto& caller = context.caller();
    if (caller) context.send(sf::OutgoingMessage{*caller, message.typed_value()});
    egress(context, caller ? "caller=" + caller->str() : "caller=none");
  });
  return functions;
}

// The JS SDK's answer: status 200 and body, or the failing status.
std::pair<int, std::string> run_js_sdk(const BatchRequest& request) {
  const auto input = std::filesystem::temp_directory_path() /
                     ("statefun-sdk-cpp-" + std::to_string(::getpid()) + ".hex");
  std::ofstream(input) << to_hex(statefun::codec::encode_request(request)) << "\n";
  const std::string command = std::string("node ") + STATEFUN_SOURCE_DIR +
                              "/tests/sdk/js_wire_fixture.js < " + input.string() + " 2>/dev/null";
  std::FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string hex;
  for (int c = std::fgetc(pipe); c != EOF; c = std::fgetc(pipe)) {
    if (!std::isspace(c)) hex.push_back(static_cast<char>(c));
  }
  const int status = ::pclose(pipe);
  std::filesystem::remove(input);
  INFO("fixture command: " << command);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) <= 1);  // 2: the fixture rejected its input
  return WEXITSTATUS(status) == 0 ? std::pair{200, from_hex(hex)} : std::pair{500, std::string()};
}

std::string canonical(const std::string& body) {
  auto decoded = statefun::codec::decode_response(body);
  REQUIRE(decoded);
  return to_hex(statefun::codec::encode_response(*decoded));
}

}  // namespace

TEST_CASE("our SDK answers what the official JS SDK answers", "[sdk-cpp]") {
  const Address counter{{"fixture", "counter"}, "c1"};
  const Address timer{{"fixture", "timer"}, "t1"};
  const Address echo{{"fixture", "echo"}, "e1"};
  const TypedValue hello{"io.statefun.types/string", true, statefun::types::encode_string("hello")};
  const std::vector<std::pair<std::string, BatchRequest>> requests = {
      {"counter, first contact", {counter, {}, {{std::nullopt, hello}}}},
      {"counter, a batch of three from zero",
       {counter,
        {{"count", TypedValue{"io.statefun.types/int", true, ""}}},
        {{std::nullopt, hello}, {std::nullopt, hello}, {std::nullopt, hello}}}},
      {"counter, no value yet and an undeclared state",
       {counter, {no_value("count"), int_state("old", 1)}, {{std::nullopt, hello}}}},
      {"counter, empty batch", {counter, {no_value("count")}, {}}},
      {"timer, first contact with expiration", {timer, {}, {{std::nullopt, hello}}}},
      {"timer, one state missing", {timer, {no_value("scratch")}, {{std::nullopt, hello}}}},
      {"timer, write, delete, delayed, cancel",
       {timer, {no_value("seen"), int_state("scratch", 7)}, {{std::nullopt, hello}}}},
      {"echo, with and without caller",
       {echo, {}, {{Address{{"fixture", "counter"}, "c9"}, hello}, {std::nullopt, hello}}}},
      {"unknown function type", {{{"fixture", "nobody"}, "n"}, {}, {{std::nullopt, hello}}}},
  };
  const auto functions = fixture_functions();
  for (const auto& [name, request] : requests) {
    INFO(name);
    const auto [js_status, js_body] = run_js_sdk(request);
    const auto ours = run(functions, request);
    CHECK(ours.status == js_status);
    if (js_status == 200 && ours.status == 200) CHECK(canonical(ours.body) == canonical(js_body));
  }
}

// --- serving ------------------------------------------------------------------------

namespace {

void check_served(httplib::Client& client) {
  const auto request =
      statefun::codec::encode_request(BatchRequest{{{"example", "greeter"}, "Bob"}, {}, {}});
  auto response = client.Post("/statefun", request, "application/octet-stream");
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(response->get_header_value("Content-Type") == "application/octet-stream");
  CHECK(to_hex(response->body) == "a20600");

  response = client.Post("/any/other/path", "junk", "application/octet-stream");
  REQUIRE(response);
  CHECK(response->status == 400);

  response = client.Get("/statefun");
  REQUIRE(response);
  CHECK(response->status == 405);
}

}  // namespace

TEST_CASE("a server answers POSTs on any path over TCP", "[sdk-cpp]") {
  const auto functions = greeter_functions();
  sf::Server server(functions, {.host = "127.0.0.1", .port = 0, .log_errors = false});
  server.start();
  REQUIRE(server.port() > 0);
  httplib::Client client("127.0.0.1", server.port());
  check_served(client);
  server.stop();
  server.wait();
}

// Issue 14.7: the default was every interface, reachable from the network.
TEST_CASE("a server without a host listens on $HOST, or on 127.0.0.1", "[sdk-cpp]") {
  const auto functions = greeter_functions();
  const char* saved = std::getenv("HOST");
  const std::string before = saved ? saved : "";
  ::unsetenv("HOST");
  {
    sf::Server server(functions, {.port = 0, .log_errors = false});
    CHECK(server.host() == "127.0.0.1");
    server.start();
    httplib::Client client("127.0.0.1", server.port());
    check_served(client);
    server.stop();
  }
  ::setenv("HOST", "localhost", 1);
  {
    sf::Server server(functions, {.port = 0, .log_errors = false});
    CHECK(server.host() == "localhost");
  }
  sf::Server chosen(functions, {.host = "0.0.0.0", .port = 0, .log_errors = false});
  CHECK(chosen.host() == "0.0.0.0");  // an explicit host wins
  if (saved) {
    ::setenv("HOST", before.c_str(), 1);
  } else {
    ::unsetenv("HOST");
  }
}

TEST_CASE("a server answers over a UNIX socket, replacing a stale socket file", "[sdk-cpp]") {
  const auto path = std::filesystem::temp_directory_path() /
                    ("statefun-sdk-" + std::to_string(::getpid()) + ".sock");
  // What a killed server leaves behind: a bound socket file nobody listens on.
  const int stale = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  REQUIRE(::bind(stale, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  ::close(stale);

  const auto functions = greeter_functions();
  sf::Server server(functions, {.unix_socket_path = path.string(), .log_errors = false});
  server.start();
  CHECK(server.port() == 0);
  httplib::Client client(path.string());
  client.set_address_family(AF_UNIX);
  check_served(client);
  server.stop();
  CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("a server refuses a port it cannot bind", "[sdk-cpp]") {
  const auto functions = greeter_functions();
  sf::Server first(functions, {.host = "127.0.0.1", .port = 0, .log_errors = false});
  first.start();
  sf::Server second(functions, {.host = "127.0.0.1", .port = first.port(), .log_errors = false});
  CHECK_THROWS_AS(second.start(), std::runtime_error);
}

TEST_CASE("a server with a handler pool runs handlers for different addresses at once",
          "[sdk-cpp]") {
  // Each handler waits until both are running: only concurrent handlers
  // can both see the other arrive (a single thread would time out).
  std::mutex mutex;
  std::condition_variable changed;
  int running = 0;
  std::atomic<int> met{0};
  sf::Functions functions;
  functions.bind("example/meet", [&](sf::Context&, const sf::Message&) {
    std::unique_lock lock(mutex);
    ++running;
    changed.notify_all();
    if (changed.wait_for(lock, std::chrono::seconds(10), [&] { return running >= 2; })) ++met;
  });
  sf::Server server(functions, {.host = "127.0.0.1", .port = 0, .threads = 2, .log_errors = false});
  server.start();
  // Catch2's assertions are not thread-safe: each thread keeps its status
  // and the test checks both after joining them.
  auto call = [&](const std::string& id, int& status) {
    httplib::Client client("127.0.0.1", server.port());
    const auto request = statefun::codec::encode_request(BatchRequest{
        {{"example", "meet"}, id}, {}, {{std::nullopt, TypedValue{"t/x", true, "m"}}}});
    auto response = client.Post("/statefun", request, "application/octet-stream");
    status = response ? response->status : -1;
  };
  int first_status = 0, second_status = 0;
  std::thread first(call, "a", std::ref(first_status)), second(call, "b", std::ref(second_status));
  first.join();
  second.join();
  CHECK(first_status == 200);
  CHECK(second_status == 200);
  CHECK(met == 2);
  server.stop();
}
