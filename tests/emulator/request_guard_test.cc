// The checks that keep a web page from driving statefun dev (issue 14,
// item 5): Host, Origin and Content-Type of one request.
#include "emulator/surfaces/request_guard.h"

#include <catch2/catch.hpp>

using namespace statefun::emulator;

namespace {

GuardedRequest get(std::string host) { return {"GET", std::move(host), {}, {}, false}; }

GuardedRequest post(std::optional<std::string> origin, std::optional<std::string> type,
                    std::string host = "127.0.0.1:8092") {
  return {"POST", std::move(host), std::move(origin), std::move(type), true};
}

int status_of(const GuardedRequest& r, const GuardPolicy& p = {}) {
  auto refusal = check_request(r, p);
  return refusal ? refusal->status : 200;
}

}  // namespace

TEST_CASE("request guard: loopback names and the listen address pass, other Hosts are refused",
          "[emulator]") {
  for (const char* host : {"localhost", "localhost:8092", "127.0.0.1:8092", "127.0.0.1",
                           "[::1]:8092", "[::1]", "LOCALHOST:1", "127.1.2.3:80"}) {
    INFO(host);
    CHECK(status_of(get(host)) == 200);
  }
  for (const char* host : {"evil.example:8092", "evil.example", "localhost.evil.example",
                           "127.0.0.1.evil.example", "10.0.0.5:8092", "[::2]:8092"}) {
    INFO(host);
    CHECK(status_of(get(host)) == 403);
  }
  auto refusal = check_request(get("evil.example:8092"), {});
  REQUIRE(refusal);
  CHECK(refusal->reason.starts_with("Host 'evil.example:8092' is not a loopback name"));
  // The configured listen address is this machine too.
  CHECK(status_of(get("10.0.0.5:8090"), {"10.0.0.5", true, false, false}) == 200);
  // No Host at all (HTTP/1.0): no browser sends that.
  CHECK(status_of({"GET", std::nullopt, {}, {}, false}) == 200);
  // Turned off (a playground listening on every interface).
  CHECK(status_of(get("evil.example"), {"0.0.0.0", false, false, false}) == 200);
}

TEST_CASE("request guard: cross-origin writes are refused, same-origin and tools pass",
          "[emulator]") {
  CHECK(status_of(post(std::nullopt, "application/json")) == 200);  // curl, the CLI
  CHECK(status_of(post("http://127.0.0.1:8092", "application/json")) == 200);
  CHECK(status_of(post("http://evil.example", "application/json")) == 403);
  CHECK(status_of(post("null", "application/json")) == 403);                   // a sandboxed frame
  CHECK(status_of(post("http://localhost:8092", "application/json")) == 403);  // another origin
  GuardedRequest del{"DELETE", "localhost:8092", "https://evil.example", std::nullopt, false};
  CHECK(status_of(del) == 403);
  // Reads are not writes: the same-origin policy keeps their answers from
  // the page, and the Host check keeps out rebinding.
  GuardedRequest read{"GET", "localhost:8092", "https://evil.example", std::nullopt, false};
  CHECK(status_of(read) == 200);
}

TEST_CASE("request guard: writes with a body must be application/json", "[emulator]") {
  CHECK(status_of(post(std::nullopt, "application/json; charset=utf-8")) == 200);
  CHECK(status_of(post(std::nullopt, "Application/JSON")) == 200);
  // What a form or a plain fetch can send without a preflight.
  CHECK(status_of(post(std::nullopt, "text/plain")) == 415);
  CHECK(status_of(post(std::nullopt, "application/x-www-form-urlencoded")) == 415);
  CHECK(status_of(post(std::nullopt, "multipart/form-data; boundary=x")) == 415);
  CHECK(status_of(post(std::nullopt, std::nullopt)) == 415);
  // A DELETE without a body needs no Content-Type.
  CHECK(status_of({"DELETE", "localhost:8092", std::nullopt, std::nullopt, false}) == 200);
}

TEST_CASE("request guard: loopback listen addresses", "[emulator]") {
  CHECK(is_loopback_name("127.0.0.1"));
  CHECK(is_loopback_name("localhost"));
  CHECK(is_loopback_name("::1"));
  CHECK_FALSE(is_loopback_name("0.0.0.0"));
  CHECK_FALSE(is_loopback_name("192.168.1.2"));
}
