#include "runtime/core/url.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <optional>

namespace statefun {
namespace {

constexpr std::string_view kExample = "http://localhost:8000/statefun";
constexpr std::string_view kUnixExample = "http+unix:///tmp/functions.sock/statefun";

bool is_space_or_control(unsigned char c) { return c <= 0x20 || c == 0x7f; }

std::string lowercase_ascii(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](unsigned char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c);
  });
  return out;
}

// The URL for a message: user info replaced by ***, control characters by ?,
// so that neither a password nor a terminal escape reaches the console.
std::string quoted_for_message(std::string_view text) {
  std::string shown(text);
  if (const auto separator = shown.find("://"); separator != std::string::npos) {
    const auto authority_end = shown.find_first_of("/?#", separator + 3);
    const auto at = shown.rfind('@', authority_end);
    if (at != std::string::npos && at > separator) {
      shown.replace(separator + 3, at - separator - 3, "***");
    }
  }
  std::ranges::replace_if(
      shown, [](unsigned char c) { return c < 0x20 || c == 0x7f; }, '?');
  return "\"" + shown + "\"";
}

bool accepts(UrlSchemes schemes, std::string_view scheme) {
  if (scheme == "http" || scheme == "https") return true;
  return schemes == UrlSchemes::kHttpAndUnixSockets &&
         (scheme == "http+unix" || scheme == "https+unix");
}

std::string_view accepted_list(UrlSchemes schemes) {
  return schemes == UrlSchemes::kHttp ? "http or https" : "http, https, http+unix or https+unix";
}

// StateFun takes the socket file from the path: the first segment ending in
// .sock. Returns where that segment ends in `target`, or npos.
std::size_t socket_file_end(std::string_view target) {
  const std::string_view path = target.substr(0, target.find_first_of("?#"));
  std::size_t start = 0;
  while (start < path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    if (end - start > 5 && path.substr(start, end - start).ends_with(".sock")) return end;
    start = end + 1;
  }
  return std::string_view::npos;
}

bool has_socket_file(std::string_view target) {
  return socket_file_end(target) != std::string_view::npos;
}

// Why `digits` is not a port, or nothing.
std::optional<std::string> read_port(std::string_view digits, int& port) {
  const bool all_digits =
      !digits.empty() && std::ranges::all_of(digits, [](char c) { return c >= '0' && c <= '9'; });
  int value = 0;
  if (all_digits && digits.size() <= 5) {
    std::from_chars(digits.data(), digits.data() + digits.size(), value);
  }
  if (value < 1 || value > 65535) {
    return fmt::format("port \"{}\" is not a number from 1 to 65535", digits);
  }
  port = value;
  return std::nullopt;
}

// Splits "host[:port]" or "[v6]:port" into `url`; says why it cannot.
std::optional<std::string> read_authority(std::string_view authority, Url& url) {
  if (authority.find('@') != std::string_view::npos) {
    return std::string("user info (user:password@) is not supported");
  }
  std::string_view host = authority;
  std::optional<std::string_view> port_digits;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::string("the IPv6 address has no closing ]");
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) {
      return fmt::format("unexpected \"{}\" after the IPv6 address", after);
    }
    if (!after.empty()) port_digits = after.substr(1);
  } else if (const auto colon = authority.find(':'); colon != std::string_view::npos) {
    if (authority.find(':', colon + 1) != std::string_view::npos) {
      return std::string("an IPv6 address must be written in brackets, e.g. http://[::1]:8000/");
    }
    host = authority.substr(0, colon);
    port_digits = authority.substr(colon + 1);
  }
  if (host.empty() && !url.is_unix_socket()) return std::string("it has no host");
  url.host = std::string(host);
  url.port = default_port(url.scheme);
  // "host:" with nothing after the colon means the default port, as in RFC 3986.
  if (port_digits && !port_digits->empty()) {
    if (auto problem = read_port(*port_digits, url.port)) return problem;
    url.explicit_port = true;
  }
  return std::nullopt;
}

}  // namespace

int default_port(std::string_view scheme) {
  if (scheme == "http") return 80;
  if (scheme == "https") return 443;
  return 0;
}

std::string Url::bracketed_host() const { return is_ipv6_literal() ? "[" + host + "]" : host; }

std::string Url::socket_path() const {
  if (!is_unix_socket()) return "";
  const std::size_t end = socket_file_end(target);
  return end == std::string::npos ? "" : target.substr(0, end);
}

std::string Url::host_port() const {
  if (is_unix_socket()) return socket_path();
  return fmt::format("{}:{}", bracketed_host(), port);
}

std::string Url::origin() const { return fmt::format("{}://{}", scheme, host_port()); }

std::string Url::host_header() const {
  // A socket has no host name; OkHttp, which StateFun uses for these, sends one anyway.
  if (is_unix_socket()) return "localhost";
  return port == default_port(scheme) ? bracketed_host() : host_port();
}

std::string Url::request_target() const {
  const std::string path = is_unix_socket() ? target.substr(socket_path().size()) : target;
  if (path.empty()) return "/";
  return path.starts_with('/') ? path : "/" + path;
}

std::string Url::str() const {
  return fmt::format("{}://{}{}", scheme, explicit_port ? host_port() : bracketed_host(), target);
}

Result<Url> parse_url(std::string_view text, UrlSchemes schemes) {
  const auto fail = [text](std::string_view why) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("invalid URL {}: {}", quoted_for_message(text), why));
  };
  if (std::ranges::any_of(text, is_space_or_control)) {
    return fail("it contains spaces or control characters");
  }
  const auto separator = text.find("://");
  if (separator == std::string_view::npos || separator == 0) {
    return fail(fmt::format("expected scheme://host[:port][/path], e.g. {}", kExample));
  }
  Url url;
  url.scheme = lowercase_ascii(text.substr(0, separator));
  if (!accepts(schemes, url.scheme)) {
    return fail(
        fmt::format("unsupported scheme \"{}\"; expected {}", url.scheme, accepted_list(schemes)));
  }
  const std::string_view rest = text.substr(separator + 3);
  const auto authority_end = rest.find_first_of("/?#");
  if (auto problem = read_authority(rest.substr(0, authority_end), url)) return fail(*problem);
  if (authority_end != std::string_view::npos) url.target = std::string(rest.substr(authority_end));
  if (url.is_unix_socket() && !has_socket_file(url.target)) {
    return fail(
        fmt::format("expected the socket file as a path ending in .sock, e.g. {}", kUnixExample));
  }
  return url;
}

}  // namespace statefun
