#include "runtime/protocol/well_known_types.h"

#include <catch2/catch.hpp>

#include "tests/test_util.h"

using namespace statefun;
using statefun::test::to_hex;

TEST_CASE("well-known values encode to the canonical bytes of types.md", "[runtime]") {
  CHECK(to_hex(types::encode_int(1)) == "0d01000000");
  CHECK(to_hex(types::encode_int(-1)) == "0dffffffff");
  CHECK(types::encode_int(0).empty());
  CHECK(to_hex(types::encode_long(1)) == "090100000000000000");
  CHECK(to_hex(types::encode_long(-2)) == "09feffffffffffffff");
  CHECK(to_hex(types::encode_float(1.5f)) == "0d0000c03f");
  CHECK(to_hex(types::encode_double(1.5)) == "09000000000000f83f");
  CHECK(to_hex(types::encode_bool(true)) == "0801");
  CHECK(types::encode_bool(false).empty());
  CHECK(to_hex(types::encode_string("hi")) == "0a026869");
  CHECK(to_hex(types::encode_string("é")) == "0a02c3a9");
  CHECK(types::encode_string("").empty());
}

TEST_CASE("decoders tolerate explicit defaults and read zero bytes as zero", "[runtime]") {
  CHECK(types::decode_int("") == 0);
  CHECK(types::decode_bool(std::string("\x08\x00", 2)) == false);
  CHECK(types::decode_string("\x0a\x02hi") == "hi");
  CHECK_FALSE(types::decode_int("\xff\xff"));
}

TEST_CASE("values render for humans by type", "[runtime]") {
  CHECK(types::render({"io.statefun.types/int", true, types::encode_int(42)}) == "42");
  CHECK(types::render({"io.statefun.types/int", true, ""}) == "0");
  CHECK(types::render({"io.statefun.types/string", true, types::encode_string("hi")}) == "\"hi\"");
  CHECK(types::render({"example/Json", true, "{\"a\": 1}\n"}) == "{\"a\": 1}");
  CHECK(types::render({"x/bin", true, std::string("\x00\x01", 2)}) == "<2 bytes: 0001>");
  CHECK(types::render({"x/y", false, ""}) == "(no value)");
}
