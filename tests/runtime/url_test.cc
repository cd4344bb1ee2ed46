#include "runtime/core/url.h"

#include <catch2/catch.hpp>
#include <string>

namespace statefun {
namespace {

Url parse_ok(std::string_view text, UrlSchemes schemes = UrlSchemes::kHttp) {
  auto url = parse_url(text, schemes);
  INFO(text << ": " << (url ? std::string() : url.error().message));
  REQUIRE(url.has_value());
  return *url;
}

std::string parse_error(std::string_view text, UrlSchemes schemes = UrlSchemes::kHttp) {
  auto url = parse_url(text, schemes);
  INFO(text);
  REQUIRE_FALSE(url.has_value());
  CHECK(url.error().code == ErrorCode::kInvalidArgument);
  CHECK(url.error().message.find('\n') == std::string::npos);
  return url.error().message;
}

TEST_CASE("url: scheme, host, port and target of an http URL", "[runtime]") {
  const Url url = parse_ok("http://localhost:8000/statefun?x=1#top");
  CHECK(url.scheme == "http");
  CHECK(url.host == "localhost");
  CHECK(url.port == 8000);
  CHECK(url.explicit_port);
  CHECK(url.target == "/statefun?x=1#top");
  CHECK(url.request_target() == "/statefun?x=1#top");
  CHECK(url.host_port() == "localhost:8000");
  CHECK(url.origin() == "http://localhost:8000");
  CHECK(url.host_header() == "localhost:8000");
  CHECK(url.str() == "http://localhost:8000/statefun?x=1#top");
}

TEST_CASE("url: the scheme is read in any case and kept in lower case", "[runtime]") {
  const Url url = parse_ok("HTTPS://Functions.Example.com/fn");
  CHECK(url.scheme == "https");
  CHECK(url.host == "Functions.Example.com");
  CHECK(url.str() == "https://Functions.Example.com/fn");
}

TEST_CASE("url: a missing port is the scheme's default and is not written back", "[runtime]") {
  const Url http = parse_ok("http://functions/statefun");
  CHECK(http.port == 80);
  CHECK_FALSE(http.explicit_port);
  CHECK(http.str() == "http://functions/statefun");
  CHECK(http.host_header() == "functions");
  CHECK(http.host_port() == "functions:80");

  const Url https = parse_ok("https://functions");
  CHECK(https.port == 443);
  CHECK(https.target.empty());
  CHECK(https.request_target() == "/");
  CHECK(https.str() == "https://functions");

  // An empty port after the colon also means the default (RFC 3986).
  const Url empty_port = parse_ok("http://functions:/x");
  CHECK(empty_port.port == 80);
  CHECK_FALSE(empty_port.explicit_port);

  CHECK(default_port("http") == 80);
  CHECK(default_port("https") == 443);
  CHECK(default_port("http+unix") == 0);
}

TEST_CASE("url: the Host header names the port only when it is not the default", "[runtime]") {
  CHECK(parse_ok("https://h:443/").host_header() == "h");
  CHECK(parse_ok("http://h:80/").host_header() == "h");
  CHECK(parse_ok("http://h:443/").host_header() == "h:443");
  CHECK(parse_ok("http://h:8080/").host_header() == "h:8080");
}

TEST_CASE("url: a target that starts with ? or # goes out after a /", "[runtime]") {
  const Url url = parse_ok("http://h?q=1");
  CHECK(url.host == "h");
  CHECK(url.target == "?q=1");
  CHECK(url.request_target() == "/?q=1");
  CHECK(url.str() == "http://h?q=1");
  CHECK(parse_ok("http://h#f").request_target() == "/#f");
}

TEST_CASE("url: IPv6 hosts are written in brackets and kept without them", "[runtime]") {
  const Url url = parse_ok("http://[::1]:8000/fn");
  CHECK(url.host == "::1");
  CHECK(url.is_ipv6_literal());
  CHECK(url.bracketed_host() == "[::1]");
  CHECK(url.host_port() == "[::1]:8000");
  CHECK(url.origin() == "http://[::1]:8000");
  CHECK(url.str() == "http://[::1]:8000/fn");
  CHECK(parse_ok("http://[fe80::1]/").port == 80);
  CHECK(parse_ok("http://[fe80::1]/").host_header() == "[fe80::1]");
}

TEST_CASE("url: a {function.name} placeholder is plain text", "[runtime]") {
  const Url url = parse_ok("http://{function.name}:8000/fn/{function.name}");
  CHECK(url.host == "{function.name}");
  CHECK(url.target == "/fn/{function.name}");
}

TEST_CASE("url: an @ after the host is part of the path, not user info", "[runtime]") {
  const Url url = parse_ok("http://h/a@b");
  CHECK(url.host == "h");
  CHECK(url.target == "/a@b");
}

TEST_CASE("url: Unix socket URLs only when asked for, with a .sock file", "[runtime]") {
  const Url url =
      parse_ok("http+unix:///tmp/functions.sock/statefun", UrlSchemes::kHttpAndUnixSockets);
  CHECK(url.is_unix_socket());
  CHECK(url.host.empty());
  CHECK(url.port == 0);
  CHECK(url.target == "/tmp/functions.sock/statefun");
  CHECK(url.str() == "http+unix:///tmp/functions.sock/statefun");
  // What the clients make of it: the socket file, then the HTTP request.
  CHECK(url.socket_path() == "/tmp/functions.sock");
  CHECK(url.request_target() == "/statefun");
  CHECK(url.host_header() == "localhost");
  CHECK(url.host_port() == "/tmp/functions.sock");
  CHECK(url.origin() == "http+unix:///tmp/functions.sock");
  const Url bare = parse_ok("http+unix:///run/a/f.sock", UrlSchemes::kHttpAndUnixSockets);
  CHECK(bare.socket_path() == "/run/a/f.sock");
  CHECK(bare.request_target() == "/");
  CHECK(parse_ok("http+unix:///run/f.sock?x=1", UrlSchemes::kHttpAndUnixSockets).request_target() ==
        "/?x=1");
  CHECK(parse_ok("https+unix:///run/f.sock", UrlSchemes::kHttpAndUnixSockets).scheme ==
        "https+unix");

  CHECK(parse_error("http+unix:///tmp/functions.sock/statefun") ==
        "invalid URL \"http+unix:///tmp/functions.sock/statefun\": unsupported scheme "
        "\"http+unix\"; expected http or https");
  CHECK(parse_error("http+unix:///tmp/functions/statefun", UrlSchemes::kHttpAndUnixSockets) ==
        "invalid URL \"http+unix:///tmp/functions/statefun\": expected the socket file as a path "
        "ending in .sock, e.g. http+unix:///tmp/functions.sock/statefun");
}

TEST_CASE("url: each mistake has its own one-line error naming the URL", "[runtime]") {
  CHECK(parse_error("") ==
        "invalid URL \"\": expected scheme://host[:port][/path], e.g. "
        "http://localhost:8000/statefun");
  CHECK(parse_error("localhost:8000/statefun") ==
        "invalid URL \"localhost:8000/statefun\": expected scheme://host[:port][/path], e.g. "
        "http://localhost:8000/statefun");
  CHECK(parse_error("://h/x") ==
        "invalid URL \"://h/x\": expected scheme://host[:port][/path], e.g. "
        "http://localhost:8000/statefun");
  CHECK(parse_error("ftp://h/x") ==
        "invalid URL \"ftp://h/x\": unsupported scheme \"ftp\"; expected http or https");
  CHECK(parse_error("ftp://h/x", UrlSchemes::kHttpAndUnixSockets) ==
        "invalid URL \"ftp://h/x\": unsupported scheme \"ftp\"; expected http, https, http+unix "
        "or https+unix");
  CHECK(parse_error("http://") == "invalid URL \"http://\": it has no host");
  CHECK(parse_error("http:///statefun") == "invalid URL \"http:///statefun\": it has no host");
  CHECK(parse_error("http://:8000/fn") == "invalid URL \"http://:8000/fn\": it has no host");
  CHECK(parse_error("http://[]:8000/fn") == "invalid URL \"http://[]:8000/fn\": it has no host");
  CHECK(parse_error("http://h:99999/fn") ==
        "invalid URL \"http://h:99999/fn\": port \"99999\" is not a number from 1 to 65535");
  CHECK(parse_error("http://h:80x/fn") ==
        "invalid URL \"http://h:80x/fn\": port \"80x\" is not a number from 1 to 65535");
  CHECK(parse_error("http://h:0/fn") ==
        "invalid URL \"http://h:0/fn\": port \"0\" is not a number from 1 to 65535");
  CHECK(parse_error("http://h:-1/fn") ==
        "invalid URL \"http://h:-1/fn\": port \"-1\" is not a number from 1 to 65535");
  CHECK(parse_error("http://[::1/fn") ==
        "invalid URL \"http://[::1/fn\": the IPv6 address has no closing ]");
  CHECK(parse_error("http://[::1]x/fn") ==
        "invalid URL \"http://[::1]x/fn\": unexpected \"x\" after the IPv6 address");
  CHECK(parse_error("http://::1:8000/fn") ==
        "invalid URL \"http://::1:8000/fn\": an IPv6 address must be written in brackets, e.g. "
        "http://[::1]:8000/");
  CHECK(parse_error("http://exa mple.com/") ==
        "invalid URL \"http://exa mple.com/\": it contains spaces or control characters");
  CHECK(parse_error("http://h/\x1b[2J") ==
        "invalid URL \"http://h/?[2J\": it contains spaces or control characters");
}

TEST_CASE("url: user info is refused and never shown", "[runtime]") {
  const std::string message = parse_error("http://user:secret@example.com/fn");
  CHECK(message ==
        "invalid URL \"http://***@example.com/fn\": user info (user:password@) is not supported");
  CHECK(message.find("secret") == std::string::npos);
  // Even when another mistake is reported first.
  CHECK(parse_error("http://user:secret@exa mple.com/").find("secret") == std::string::npos);
}

}  // namespace
}  // namespace statefun
