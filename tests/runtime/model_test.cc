#include "runtime/protocol/model.h"

#include <catch2/catch.hpp>

using namespace statefun;

TEST_CASE("an address has exactly three non-empty parts", "[runtime]") {
  auto address = parse_address("example/person/Bob");
  REQUIRE(address);
  CHECK(address->type.ns == "example");
  CHECK(address->type.name == "person");
  CHECK(address->id == "Bob");
  CHECK(address->str() == "example/person/Bob");
  CHECK_FALSE(parse_address("example/person"));
  CHECK_FALSE(parse_address("a/b/c/d"));
  CHECK_FALSE(parse_address("a//c"));
  CHECK_FALSE(parse_address("/b/c"));
  CHECK_FALSE(parse_address(""));
}

TEST_CASE("typenames split at the last slash like the SDKs", "[runtime]") {
  auto type = parse_typename("com.example.ns/sub/Name");
  REQUIRE(type);
  CHECK(type->ns == "com.example.ns/sub");
  CHECK(type->name == "Name");
  CHECK_FALSE(parse_typename("noslash"));
  CHECK_FALSE(parse_typename("/name"));
  CHECK_FALSE(parse_typename("ns/"));
}
