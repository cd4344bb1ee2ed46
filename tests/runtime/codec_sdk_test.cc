// Our codec against bytes produced by the official JS SDK (3.3.0), running
// for real in a node process: tests/sdk/js_wire_fixture.js documents the
// functions it binds.
#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "runtime/protocol/codec.h"
#include "runtime/protocol/well_known_types.h"
#include "tests/test_util.h"

using namespace statefun;
using statefun::test::from_hex;
using statefun::test::to_hex;

namespace {

// Runs one request through the SDK; returns the response bytes.
std::string run_sdk(const BatchRequest& request) {
  const auto input = std::filesystem::temp_directory_path() /
                     ("statefun-sdk-wire-" + std::to_string(::getpid()) + ".hex");
  std::ofstream(input) << to_hex(codec::encode_request(request)) << "\n";
  const std::string command = std::string("node ") + STATEFUN_SOURCE_DIR +
                              "/tests/sdk/js_wire_fixture.js < " + input.string();
  std::FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string hex;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe)) hex += buffer.data();
  const int status = ::pclose(pipe);
  std::filesystem::remove(input);
  INFO("fixture command: " << command);
  REQUIRE(status == 0);
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.pop_back();
  return from_hex(hex);
}

TypedValue string_value(const std::string& s) {
  return {"io.statefun.types/string", true, types::encode_string(s)};
}

const Address kCounter{{"fixture", "counter"}, "c1"};

}  // namespace

TEST_CASE("the JS SDK asks for its state specs on first contact", "[sdk]") {
  auto response =
      codec::decode_response(run_sdk({kCounter, {}, {{std::nullopt, string_value("x")}}}));
  REQUIRE(response);
  auto* incomplete = std::get_if<IncompleteContext>(&*response);
  REQUIRE(incomplete);
  REQUIRE(incomplete->missing.size() == 1);
  CHECK(incomplete->missing[0] ==
        StateSpec{"count", "io.statefun.types/int", ExpireMode::kNone, 0});
}

TEST_CASE("the JS SDK's expiration specs decode to after-write with the TTL", "[sdk]") {
  auto response = codec::decode_response(
      run_sdk({{{"fixture", "timer"}, "t1"}, {}, {{std::nullopt, string_value("x")}}}));
  REQUIRE(response);
  auto& missing = std::get<IncompleteContext>(*response).missing;
  REQUIRE(missing.size() == 2);
  CHECK(missing[0] == StateSpec{"seen", "io.statefun.types/string", ExpireMode::kAfterWrite, 5000});
  CHECK(missing[1] == StateSpec{"scratch", "io.statefun.types/int", ExpireMode::kNone, 0});
}

TEST_CASE("a JS SDK batch response decodes: net mutation, messages and egress in order", "[sdk]") {
  BatchRequest request{kCounter,
                       {{"count", TypedValue{"io.statefun.types/int", true, ""}}},  // int 0
                       {{std::nullopt, string_value("a")}, {std::nullopt, string_value("b")}}};
  auto response = codec::decode_response(run_sdk(request));
  REQUIRE(response);
  auto& result = std::get<InvocationResult>(*response);
  REQUIRE(result.mutations.size() == 1);
  CHECK(result.mutations[0].kind == MutationKind::kModify);
  CHECK(types::decode_int(result.mutations[0].value.value) == 2);
  REQUIRE(result.messages.size() == 2);
  CHECK(result.messages[0].target == Address{{"fixture", "sink"}, "c1"});
  CHECK(types::decode_int(result.messages[1].argument.value) == 2);
  REQUIRE(result.egress.size() == 2);
  CHECK(result.egress[0].egress_id() == "io.statefun.playground/egress");
  CHECK(result.egress[1].argument.type_name == "io.statefun.playground/EgressRecord");
  CHECK(result.egress[1].argument.value.find("count=2") != std::string::npos);
}

TEST_CASE("JS SDK delete, delayed-with-token, plain delayed and cancellation decode", "[sdk]") {
  BatchRequest request{
      {{"fixture", "timer"}, "t1"},
      {{"seen", std::nullopt},
       {"scratch", TypedValue{"io.statefun.types/int", true, types::encode_int(7)}}},
      {{std::nullopt, string_value("hello")}}};
  auto response = codec::decode_response(run_sdk(request));
  REQUIRE(response);
  auto& result = std::get<InvocationResult>(*response);
  REQUIRE(result.mutations.size() == 2);
  CHECK(result.mutations[0].kind == MutationKind::kModify);
  CHECK(types::decode_string(result.mutations[0].value.value) == "hello");
  CHECK(result.mutations[1].kind == MutationKind::kDelete);
  CHECK(result.mutations[1].name == "scratch");
  REQUIRE(result.delayed.size() == 3);
  CHECK(result.delayed[0].delay_ms == 1500);
  CHECK(result.delayed[0].cancellation_token == "tok-1");
  CHECK(result.delayed[0].target == Address{{"fixture", "sink"}, "x"});
  CHECK(result.delayed[1].delay_ms == 10);
  CHECK(result.delayed[1].cancellation_token.empty());
  CHECK(result.delayed[2].is_cancellation);
  CHECK(result.delayed[2].cancellation_token == "tok-0");
}

TEST_CASE("the JS SDK sees our caller field: present for functions, absent for ingress", "[sdk]") {
  const Address echo{{"fixture", "echo"}, "e1"};
  const Address caller{{"fixture", "counter"}, "c9"};
  auto with_caller = codec::decode_response(run_sdk({echo, {}, {{caller, string_value("hi")}}}));
  REQUIRE(with_caller);
  auto& result = std::get<InvocationResult>(*with_caller);
  REQUIRE(result.messages.size() == 1);
  CHECK(result.messages[0].target == caller);
  CHECK(result.messages[0].argument == string_value("hi"));
  CHECK(result.egress.at(0).argument.value.find("caller=fixture/counter/c9") != std::string::npos);

  auto without = codec::decode_response(run_sdk({echo, {}, {{std::nullopt, string_value("hi")}}}));
  REQUIRE(without);
  auto& none = std::get<InvocationResult>(*without);
  CHECK(none.messages.empty());
  CHECK(none.egress.at(0).argument.value.find("caller=none") != std::string::npos);
}
