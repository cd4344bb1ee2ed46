#include "emulator/values/value_codec.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "runtime/protocol/well_known_types.h"
#include "tests/test_util.h"

using namespace statefun;
using namespace statefun::values;
using statefun::test::from_hex;
namespace fs = std::filesystem;

TEST_CASE("base64 round-trips every length and rejects junk", "[emulator]") {
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    auto back = base64_decode(base64_encode(s));
    REQUIRE(back);
    CHECK(*back == s);
  }
  CHECK(base64_encode("hi") == "aGk=");
  CHECK_FALSE(base64_decode("a$b="));
}

TEST_CASE("well-known values are encoded canonically from what a person types", "[emulator]") {
  CHECK(encode(types::kInt, InputForm::kNatural, "1") == from_hex("0d 01 00 00 00"));
  CHECK(encode(types::kInt, InputForm::kNatural, "0") == std::string());  // zero is zero bytes
  CHECK(encode(types::kInt, InputForm::kInt, "-1") == from_hex("0d ff ff ff ff"));
  CHECK(encode(types::kLong, InputForm::kString, "-2") == from_hex("09 fe ff ff ff ff ff ff ff"));
  CHECK(encode(types::kFloat, InputForm::kNatural, "1.5") == from_hex("0d 00 00 c0 3f"));
  CHECK(encode(types::kDouble, InputForm::kJson, "1.5") == from_hex("09 00 00 00 00 00 00 f8 3f"));
  CHECK(encode(types::kBool, InputForm::kNatural, "true") == from_hex("08 01"));
  CHECK(encode(types::kBool, InputForm::kNatural, "false") == std::string());
  CHECK(encode(types::kString, InputForm::kString, "hi") == from_hex("0a 02 68 69"));
  CHECK(encode(types::kString, InputForm::kJson, "\"hi\"") == from_hex("0a 02 68 69"));
  CHECK(encode(types::kString, InputForm::kNatural, "\"hi\"") == from_hex("0a 02 68 69"));
  CHECK(encode(types::kString, InputForm::kNatural, "hi there") ==
        types::encode_string("hi there"));
}

TEST_CASE("a value that does not parse as its type is an invalid argument naming both",
          "[emulator]") {
  auto bad_int = encode(types::kInt, InputForm::kNatural, "abc");
  REQUIRE_FALSE(bad_int);
  CHECK(bad_int.error().code == ErrorCode::kInvalidArgument);
  CHECK(bad_int.error().message.find("abc") != std::string::npos);
  CHECK(bad_int.error().message.find("io.statefun.types/int") != std::string::npos);
  CHECK_FALSE(encode(types::kInt, InputForm::kNatural, "4294967296"));  // out of int32
  CHECK_FALSE(encode(types::kBool, InputForm::kNatural, "yes"));
  CHECK_FALSE(encode(types::kDouble, InputForm::kNatural, "1.5x"));
  CHECK_FALSE(encode("example/GreetRequest", InputForm::kNatural, "{name: Bob}"));
  CHECK_FALSE(encode("example/GreetRequest", InputForm::kJson, "not json"));
  CHECK_FALSE(encode("example/Counter", InputForm::kInt, "five"));
}

TEST_CASE("JSON for other typenames is stored verbatim; strings and files as raw bytes",
          "[emulator]") {
  CHECK(encode("example/GreetRequest", InputForm::kJson, R"({"name": "Bob"})") ==
        std::string(R"({"name": "Bob"})"));
  CHECK(encode("example/GreetRequest", InputForm::kNatural, "[1,2]") == std::string("[1,2]"));
  CHECK(encode("e2e/text", InputForm::kString, "hello") == std::string("hello"));
  CHECK(encode("e2e/blob", InputForm::kBytes, std::string("\0\1", 2)) == std::string("\0\1", 2));
}

TEST_CASE("decoding shows well-known values, JSON, text and bytes for what they are",
          "[emulator]") {
  auto d = decode({std::string(types::kInt), true, from_hex("0d 2a 00 00 00")});
  CHECK(d.kind == ValueKind::kWellKnown);
  CHECK(d.json == "42");
  CHECK(decode({std::string(types::kInt), true, ""}).json == "0");
  CHECK(decode({std::string(types::kString), true, from_hex("0a 02 68 69")}).json == "\"hi\"");
  // The ingress delivers raw UTF-8 under the string typename (docs/types.md, "What ingresses
  // deliver").
  auto raw = decode({std::string(types::kString), true, "hello"});
  CHECK(raw.kind == ValueKind::kText);
  CHECK(raw.json == "\"hello\"");
  auto json = decode({"example/GreetRequest", true, "{\"name\": \"Bob\"}\n"});
  CHECK(json.kind == ValueKind::kJson);
  CHECK(json.json == R"({"name":"Bob"})");
  auto bytes = decode({"x/y", true, std::string("\x01\x02\xff", 3)});
  CHECK(bytes.kind == ValueKind::kBytes);
  CHECK(human({"x/y", true, std::string("\x01\x02\xff", 3)}) == "<3 bytes: 0102ff>");
  CHECK(decode({"x/y", false, ""}).kind == ValueKind::kNone);
}

TEST_CASE("protobuf types are read from .proto files at run time, both ways", "[emulator]") {
  const fs::path dir = fs::temp_directory_path() / ("statefun-proto-" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "shop.proto") << R"(syntax = "proto3";
package shop;
import "google/protobuf/timestamp.proto";
message Item { string name = 1; int32 count = 2; google.protobuf.Timestamp added = 3; }
)";
  auto protos = ProtoTypes::load({(dir / "shop.proto").string()}, {});
  REQUIRE(protos);
  const std::string type = "type.googleapis.com/shop.Item";
  CHECK((*protos)->knows(type));
  CHECK_FALSE((*protos)->knows("type.googleapis.com/shop.Nope"));

  auto bytes = encode(type, InputForm::kJson, R"({"name":"apple","count":3})", protos->get());
  REQUIRE(bytes);
  CHECK(*bytes == from_hex("0a 05 61 70 70 6c 65 10 03"));
  auto decoded = decode({type, true, *bytes}, protos->get());
  CHECK(decoded.kind == ValueKind::kProtobuf);
  CHECK(decoded.json == R"({"name":"apple","count":3})");

  auto bad = encode(type, InputForm::kJson, R"({"colour":"red"})", protos->get());
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ErrorCode::kInvalidArgument);

  // The field is named, with the fields the message has.
  CHECK(bad.error().message ==
        R"('{"colour":"red"}' is not a valid type.googleapis.com/shop.Item value: shop.Item has )"
        "no field colour (fields: name, count, added)");
  auto misspelt = encode(type, InputForm::kJson, R"({"cuont":3})", protos->get());
  REQUIRE_FALSE(misspelt);
  CHECK_THAT(misspelt.error().message, Catch::Matchers::EndsWith("; did you mean count?"));

  // Names as a JS SDK app may choose them: the end of one full name.
  CHECK((*protos)->knows("example/Item"));
  CHECK((*protos)->knows("example/shop.Item"));
  CHECK_FALSE((*protos)->knows("example/tem"));
  auto by_short_name = encode("example/Item", InputForm::kJson, R"({"count":3})", protos->get());
  REQUIRE(by_short_name);
  CHECK(*by_short_name == from_hex("10 03"));

  // With .proto files given, JSON for a typename no message matches is
  // refused rather than sent as text the function cannot parse.
  auto unknown = encode("example/Itme", InputForm::kJson, R"({"count":3})", protos->get());
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == ErrorCode::kInvalidArgument);
  CHECK(unknown.error().message ==
        "--proto: no message Itme for type example/Itme in the .proto files (they define: "
        "shop.Item); did you mean type.googleapis.com/shop.Item?");
  // Text and bytes for other types still go as they are.
  CHECK(encode("example/raw", InputForm::kString, "hello", protos->get()) == "hello");

  std::ofstream(dir / "broken.proto") << "syntax = \"proto3\";\nmessage { }\n";
  auto broken = ProtoTypes::load({(dir / "broken.proto").string()}, {});
  REQUIRE_FALSE(broken);
  CHECK(broken.error().message.find("broken.proto:2") != std::string::npos);
  fs::remove_all(dir);
}
