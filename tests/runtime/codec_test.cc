#include "runtime/protocol/codec.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

#include "tests/test_util.h"

using namespace statefun;
using statefun::test::from_hex;
using statefun::test::hex_of;
using statefun::test::to_hex;

namespace {

const Address kBob{{"example", "person"}, "Bob"};
const TypedValue kGreet{"example/GreetRequest", true, R"({"name":"Bob"})"};

}  // namespace

TEST_CASE("the first request of the worked example is byte-identical to the runtime's",
          "[runtime]") {
  BatchRequest request{kBob, {}, {{std::nullopt, kGreet}}};
  const std::string expected =
      "a20644"
      "0a16"
      "0a07" +
      hex_of("example") + "1206" + hex_of("person") + "1a03" + hex_of("Bob") +
      "1a2a"
      "1228"
      "0a14" +
      hex_of("example/GreetRequest") +
      "1001"
      "1a0e" +
      hex_of(R"({"name":"Bob"})");
  const auto bytes = codec::encode_request(request);
  CHECK(bytes.size() == 71);
  CHECK(to_hex(bytes) == expected);
}

TEST_CASE("a registered state without a value is an entry with no state_value", "[runtime]") {
  BatchRequest request{kBob, {{"visits", std::nullopt}}, {{std::nullopt, kGreet}}};
  const auto bytes = codec::encode_request(request);
  CHECK(bytes.size() == 81);
  CHECK(to_hex(bytes).find("1208"
                           "0a06" +
                           hex_of("visits") + "1a2a") != std::string::npos);
}

TEST_CASE("a present zero-byte state value keeps has_value and survives a round trip",
          "[runtime]") {
  BatchRequest request{
      kBob, {{"visits", TypedValue{"io.statefun.types/int", true, ""}}}, {{kBob, kGreet}}};
  auto decoded = codec::decode_request(codec::encode_request(request));
  REQUIRE(decoded);
  REQUIRE(decoded->states.size() == 1);
  REQUIRE(decoded->states[0].value.has_value());
  CHECK(decoded->states[0].value->has_value);
  CHECK(decoded->states[0].value->value.empty());
  REQUIRE(decoded->invocations[0].caller);
  CHECK(*decoded->invocations[0].caller == kBob);
}

TEST_CASE("an ingress message is encoded without any caller field", "[runtime]") {
  BatchRequest request{kBob, {}, {{std::nullopt, kGreet}}};
  auto decoded = codec::decode_request(codec::encode_request(request));
  REQUIRE(decoded);
  CHECK_FALSE(decoded->invocations[0].caller.has_value());
}

TEST_CASE("the JS SDK's incomplete-context response decodes to one spec without TTL", "[runtime]") {
  const auto bytes =
      from_hex("aa0621 0a1f 0a06" + hex_of("visits") + "1a15" + hex_of("io.statefun.types/int"));
  auto response = codec::decode_response(bytes);
  REQUIRE(response);
  auto* incomplete = std::get_if<IncompleteContext>(&*response);
  REQUIRE(incomplete);
  REQUIRE(incomplete->missing.size() == 1);
  CHECK(incomplete->missing[0] ==
        StateSpec{"visits", "io.statefun.types/int", ExpireMode::kNone, 0});
}

TEST_CASE("an empty expiration spec (Python) means no expiration and an empty type is unset",
          "[runtime]") {
  const auto bytes = from_hex("aa060c 0a0a 0a06" + hex_of("visits") + "1200");
  auto response = codec::decode_response(bytes);
  REQUIRE(response);
  auto& spec = std::get<IncompleteContext>(*response).missing.at(0);
  CHECK(spec.expire_mode == ExpireMode::kNone);
  CHECK(spec.type_name == "io.statefun.types/unset");
}

TEST_CASE("the worked example's second response decodes to a MODIFY and one message", "[runtime]") {
  const std::string hex =
      "a2067e"
      "0a2c"
      "0801"
      "1206" +
      hex_of("visits") +
      "1a20"
      "0a15" +
      hex_of("io.statefun.types/int") +
      "1001"
      "1a05"
      "0d01000000"
      "124e"
      "0a17"
      "0a07" +
      hex_of("example") + "1207" + hex_of("greeter") + "1a03" + hex_of("Bob") +
      "1233"
      "0a14" +
      hex_of("example/GreetRequest") +
      "1001"
      "1a19" +
      hex_of(R"({"name":"Bob","visits":1})");
  auto response = codec::decode_response(from_hex(hex));
  REQUIRE(response);
  auto& result = std::get<InvocationResult>(*response);
  REQUIRE(result.mutations.size() == 1);
  CHECK(result.mutations[0].kind == MutationKind::kModify);
  CHECK(result.mutations[0].value.value == from_hex("0d01000000"));
  REQUIRE(result.messages.size() == 1);
  CHECK(result.messages[0].target == Address{{"example", "greeter"}, "Bob"});
}

TEST_CASE("a delete mutation is a mutation without a type field", "[runtime]") {
  // Python SDK bytes for deleting state "c".
  auto response = codec::decode_response(from_hex("a20605 0a03 1201 63"));
  REQUIRE(response);
  auto& result = std::get<InvocationResult>(*response);
  REQUIRE(result.mutations.size() == 1);
  CHECK(result.mutations[0].kind == MutationKind::kDelete);
  CHECK(result.mutations[0].name == "c");
}

TEST_CASE("an empty body is an invocation result with no effects", "[runtime]") {
  auto response = codec::decode_response("");
  REQUIRE(response);
  auto& result = std::get<InvocationResult>(*response);
  CHECK(result.mutations.empty());
  CHECK(result.messages.empty());
}

TEST_CASE("delayed invocation fields in JS order (10, 11 before 1-3) decode", "[runtime]") {
  // sendAfter(1500, msg, "tok-1"): 5a 05 "tok-1" 08 dc 0b 12 <target> 1a <argument>
  const std::string delayed = "5a05" + hex_of("tok-1") +
                              "08dc0b"
                              "120a"
                              "0a01" +
                              hex_of("a") + "1201" + hex_of("b") + "1a02" + hex_of("id") +
                              "1a03"
                              "0a01" +
                              hex_of("t");
  const std::string cancel =
      "5001"
      "5a05" +
      hex_of("tok-0");
  const std::string body = "1a" + to_hex(std::string(1, char(delayed.size() / 2))) + delayed +
                           "1a" + to_hex(std::string(1, char(cancel.size() / 2))) + cancel;
  const std::string hex = "a206" + to_hex(std::string(1, char(body.size() / 2))) + body;
  auto response = codec::decode_response(from_hex(hex));
  REQUIRE(response);
  auto& result = std::get<InvocationResult>(*response);
  REQUIRE(result.delayed.size() == 2);
  CHECK(result.delayed[0].delay_ms == 1500);
  CHECK(result.delayed[0].cancellation_token == "tok-1");
  CHECK(result.delayed[0].target == Address{{"a", "b"}, "id"});
  CHECK_FALSE(result.delayed[0].is_cancellation);
  CHECK(result.delayed[1].is_cancellation);
  CHECK(result.delayed[1].cancellation_token == "tok-0");
}

TEST_CASE("bytes that are not protobuf are rejected with a message", "[runtime]") {
  auto response = codec::decode_response("\xff\xff\xff\xff garbage");
  REQUIRE_FALSE(response);
  CHECK(response.error().message.find("FromFunction") != std::string::npos);
}

TEST_CASE("responses survive an encode/decode round trip", "[runtime]") {
  InvocationResult result;
  result.mutations.push_back({MutationKind::kModify, "s", {"io.statefun.types/string", true, "x"}});
  result.mutations.push_back({MutationKind::kDelete, "t", {}});
  result.delayed.push_back({false, "tok", 10, kBob, kGreet});
  result.delayed.push_back({true, "tok", 0, {}, {}});
  result.egress.push_back({"io.statefun.playground", "egress", kGreet});
  auto decoded = codec::decode_response(codec::encode_response(FunctionResponse{result}));
  REQUIRE(decoded);
  auto& back = std::get<InvocationResult>(*decoded);
  CHECK(back.mutations.size() == 2);
  CHECK(back.mutations[1].kind == MutationKind::kDelete);
  CHECK(back.delayed[0].target == kBob);
  CHECK(back.delayed[1].is_cancellation);
  CHECK(back.egress[0].egress_id() == "io.statefun.playground/egress");
}

TEST_CASE("unknown mutation types and expire modes stay unknown through encode and decode",
          "[runtime]") {
  // Found by tests/fuzz/protocol_fuzz.cc: an expire mode outside the enum
  // decoded as kUnknown was encoded as NONE, so it came back as kNone, and
  // an unknown mutation type came back as a DELETE.
  auto incomplete = codec::decode_response(codec::encode_response(FunctionResponse{
      IncompleteContext{{{"visits", "io.statefun.types/int", ExpireMode::kUnknown, 60000}}}}));
  REQUIRE(incomplete);
  const auto& missing = std::get<IncompleteContext>(*incomplete).missing;
  REQUIRE(missing.size() == 1);
  CHECK(missing[0].expire_mode == ExpireMode::kUnknown);

  InvocationResult result;
  result.mutations.push_back({MutationKind::kUnknown, "s", {}});
  auto decoded = codec::decode_response(codec::encode_response(FunctionResponse{result}));
  REQUIRE(decoded);
  CHECK(std::get<InvocationResult>(*decoded).mutations.at(0).kind == MutationKind::kUnknown);
}

namespace {

// What `fn` wrote to stderr (fd 2), through a pipe.
template <typename Fn>
std::string stderr_of(Fn fn) {
  std::fflush(stderr);
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  const int saved = ::dup(2);
  ::dup2(pipe_fds[1], 2);
  ::close(pipe_fds[1]);
  fn();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0) {
    out.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(pipe_fds[0]);
  return out;
}

}  // namespace

// Issue 14.8: an id that is not UTF-8 used to print raw "[libprotobuf
// ERROR ...]" lines beside our own one-line error.
TEST_CASE("strings that are not UTF-8 give an error result and no protobuf log line", "[runtime]") {
  const Address bad{{"example", "person"}, "\xff\xfe"};
  std::string encoded;
  const std::string logged = stderr_of([&] {
    encoded = codec::encode_request(BatchRequest{bad, {}, {{std::nullopt, kGreet}}});
    CHECK_FALSE(codec::decode_request(encoded));  // a proto3 string must be UTF-8
    InvocationResult result;
    result.messages.push_back({bad, kGreet});
    CHECK_FALSE(codec::decode_response(codec::encode_response(FunctionResponse{result})));
  });
  CHECK(logged.empty());
}
