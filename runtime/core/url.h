// The one reading of URLs in statefun: module.yaml's endpoint URLs, the URLs
// statefun.yaml gives for processes and readiness checks, and the clients that
// call functions all go through parse_url, so a URL that loads also calls.
//
//   scheme://host[:port][/path][?query][#fragment]
//
// - The scheme is compared and kept in lower case. Which schemes a caller
//   takes is its own choice (UrlSchemes); http+unix and https+unix are
//   StateFun's Unix socket URLs, whose socket file is the first path segment
//   ending in .sock (http+unix:///tmp/functions.sock/statefun); the rest of
//   the path is what goes on the HTTP request line.
// - An IPv6 host is written in brackets ([::1]:8000) and kept without them.
// - A missing port is the scheme's default (80 for http, 443 for https).
// - User info (user:password@host) is refused, and never echoed in errors.
// - Only the structure is checked: a `{function.name}` placeholder anywhere in
//   a module.yaml template is just text here.
//
// Errors are one line naming the URL, e.g.
//   invalid URL "http://host:99999/fn": port "99999" is not a number from 1 to 65535
#pragma once

#include <string>
#include <string_view>

#include "runtime/core/result.h"

namespace statefun {

struct Url {
  std::string scheme;  // lower case
  std::string host;    // without the brackets of an IPv6 literal; may be empty for Unix sockets
  int port = 0;        // as written, else the scheme's default (0 when it has none)
  bool explicit_port = false;
  std::string target;  // path[?query][#fragment] exactly as written; empty if nothing follows

  bool is_ipv6_literal() const { return host.find(':') != std::string::npos; }
  bool is_unix_socket() const { return scheme.ends_with("+unix"); }
  // The host as it is written in a URL: IPv6 literals in brackets.
  std::string bracketed_host() const;
  // Unix socket URLs: the socket file, i.e. the target up to and including
  // its first path segment ending in .sock ("/tmp/functions.sock"); empty
  // for other URLs.
  std::string socket_path() const;
  // "host:port", always with the port: for messages and connection pools.
  // For a Unix socket URL, the socket file.
  std::string host_port() const;
  // "scheme://host:port", always with the port: one per server. For a Unix
  // socket URL, "scheme://" and the socket file.
  std::string origin() const;
  // The HTTP Host header: the port only when it is not the scheme's default;
  // "localhost" for a Unix socket URL.
  std::string host_header() const;
  // What goes on the HTTP request line: the target (for a Unix socket URL,
  // what follows the socket file), "/" when it is empty, and with a "/" in
  // front when it starts with '?' or '#'.
  std::string request_target() const;
  // The URL again, with the port only when it was written (or set).
  std::string str() const;

  bool operator==(const Url&) const = default;
};

enum class UrlSchemes {
  kHttp,                // http and https
  kHttpAndUnixSockets,  // also http+unix and https+unix
};

Result<Url> parse_url(std::string_view text, UrlSchemes schemes = UrlSchemes::kHttp);

// 80 for http, 443 for https, 0 for a scheme without a default.
int default_port(std::string_view scheme);

}  // namespace statefun
