#include "runtime/client/function_call_common.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <system_error>
#include <utility>

namespace statefun::detail {
namespace {

constexpr std::size_t kMessageBodyChars = 200;

std::string to_lower(std::string_view text) {
  std::string lowered(text);
  std::ranges::transform(lowered, lowered.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lowered;
}

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpaces = " \t";
  const auto first = text.find_first_not_of(kSpaces);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(kSpaces);
  return text.substr(first, last - first + 1);
}

int default_port(std::string_view scheme) { return scheme == "https" ? 443 : 80; }

bool has_space_or_control(std::string_view text) {
  return std::ranges::any_of(text, [](unsigned char c) { return c <= 0x20 || c == 0x7f; });
}

std::expected<int, std::string> parse_port(std::string_view digits, std::string_view scheme) {
  if (digits.empty()) return default_port(scheme);
  int port = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (error != std::errc{} || end != digits.data() + digits.size() || port < 1 || port > 65535) {
    return std::unexpected(fmt::format("'{}' is not a port number", digits));
  }
  return port;
}

// Splits "host[:port]" or "[v6]:port" into the endpoint's host and port.
std::optional<std::string> parse_authority(std::string_view authority, Endpoint& endpoint) {
  if (authority.find('@') != std::string_view::npos) {
    return "credentials in function URLs are not supported";
  }
  std::string_view host = authority;
  std::string_view port_digits;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return "unterminated IPv6 address";
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return "unexpected text after the IPv6 address";
    if (!after.empty()) port_digits = after.substr(1);
  } else if (const auto colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port_digits = authority.substr(colon + 1);
  }
  if (host.empty()) return "the URL has no host";
  auto port = parse_port(port_digits, endpoint.scheme);
  if (!port) return port.error();
  endpoint.host = std::string(host);
  endpoint.port = *port;
  return std::nullopt;
}

}  // namespace

// ---------------------------------------------------------------------------
// Endpoint URLs

std::string Endpoint::bracketed_host() const { return is_ipv6_literal() ? "[" + host + "]" : host; }

std::string Endpoint::host_port() const { return fmt::format("{}:{}", bracketed_host(), port); }

std::string Endpoint::host_header() const {
  return port == 80 || port == 443 ? bracketed_host() : host_port();
}

std::expected<Endpoint, std::string> parse_endpoint_url(std::string_view url) {
  if (has_space_or_control(url))
    return std::unexpected("the URL contains spaces or control characters");
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return std::unexpected("the URL does not start with http:// or https://");
  }
  Endpoint endpoint;
  endpoint.scheme = to_lower(url.substr(0, scheme_end));
  if (endpoint.scheme != "http" && endpoint.scheme != "https") {
    return std::unexpected(
        fmt::format("scheme '{}' is not supported (use http or https)", endpoint.scheme));
  }
  const std::string_view rest = url.substr(scheme_end + 3);
  const auto authority_end = rest.find_first_of("/?#");
  if (auto problem = parse_authority(rest.substr(0, authority_end), endpoint)) {
    return std::unexpected(std::move(*problem));
  }
  const std::string_view target =
      authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  endpoint.target = target.starts_with('/') ? std::string(target) : "/" + std::string(target);
  return endpoint;
}

std::string redact_url(std::string_view url) {
  const auto scheme_end = url.find("://");
  const auto at = url.find('@');
  if (scheme_end == std::string_view::npos || at == std::string_view::npos) return std::string(url);
  const auto authority_end = url.find_first_of("/?#", scheme_end + 3);
  if (at > authority_end) return std::string(url);
  return fmt::format("{}***{}", url.substr(0, scheme_end + 3), url.substr(at));
}

// ---------------------------------------------------------------------------
// Outcomes

CallOutcome success(std::string body) {
  CallOutcome outcome;
  outcome.ok = true;
  outcome.body = std::move(body);
  return outcome;
}

CallOutcome failure(CallErrorKind kind, std::string message, int http_status) {
  CallOutcome outcome;
  outcome.error.kind = kind;
  outcome.error.http_status = http_status;
  outcome.error.message = std::move(message);
  return outcome;
}

bool is_success_status(int status) { return status >= 200 && status <= 299; }

std::string first_line_for_console(std::string_view text) {
  std::string_view line = text.substr(0, text.find_first_of("\r\n"));
  if (line.size() > kMessageBodyChars) {
    std::size_t cut = kMessageBodyChars;
    // Do not split a UTF-8 sequence: back off to its lead byte.
    while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
    line = line.substr(0, cut);
  }
  std::string printable(trim(line));
  std::ranges::replace_if(
      printable, [](unsigned char c) { return c < 0x20 || c == 0x7f; }, '?');
  return printable;
}

CallOutcome http_status_failure(int status, std::string_view reason, std::string_view body) {
  std::string detail = first_line_for_console(body);
  if (detail.empty()) detail = first_line_for_console(reason);
  std::string message =
      detail.empty() ? fmt::format("HTTP {}", status) : fmt::format("HTTP {}: {}", status, detail);
  return failure(CallErrorKind::kHttpStatus, std::move(message), status);
}

bool is_octet_stream(std::span<const std::string_view> content_type_headers) {
  for (std::string_view values : content_type_headers) {
    while (true) {
      const auto comma = values.find(',');
      if (to_lower(trim(values.substr(0, comma))) == kOctetStream) return true;
      if (comma == std::string_view::npos) break;
      values.remove_prefix(comma + 1);
    }
  }
  return false;
}

CallOutcome bad_content_type(int status, std::optional<std::string_view> content_type,
                             const Endpoint& endpoint) {
  const std::string received =
      content_type ? fmt::format("Content-Type '{}'", first_line_for_console(*content_type))
                   : std::string("no Content-Type");
  return failure(CallErrorKind::kBadContentType,
                 fmt::format("HTTP {} from {} with {} (expected {})", status, endpoint.host_port(),
                             received, kOctetStream));
}

CallOutcome bad_url(std::string_view url, std::string_view why) {
  return failure(CallErrorKind::kBadUrl, fmt::format("cannot call '{}': {}", redact_url(url), why));
}

CallOutcome connect_refused(const Endpoint& endpoint) {
  return failure(CallErrorKind::kConnect,
                 fmt::format("could not connect to {} (connection refused, host "
                             "unreachable or unknown)",
                             endpoint.host_port()));
}

CallOutcome connect_timed_out(const Endpoint& endpoint, const CallOptions& options) {
  return failure(CallErrorKind::kTimeout,
                 fmt::format("connecting to {} timed out after {} ms", endpoint.host_port(),
                             options.connect_timeout.count()));
}

CallOutcome attempt_timed_out(const Endpoint& endpoint, const CallOptions& options) {
  return failure(CallErrorKind::kTimeout,
                 fmt::format("no complete response from {} within {} ms", endpoint.host_port(),
                             options.attempt_timeout.count()));
}

CallOutcome closed_while_sending(const Endpoint& endpoint) {
  return failure(
      CallErrorKind::kDisconnected,
      fmt::format("connection to {} closed while sending the request", endpoint.host_port()));
}

CallOutcome closed_before_response(const Endpoint& endpoint) {
  return failure(
      CallErrorKind::kDisconnected,
      fmt::format("connection to {} closed before a full response", endpoint.host_port()));
}

CallOutcome response_too_large(const Endpoint& endpoint, const CallOptions& options) {
  return failure(CallErrorKind::kTooLarge,
                 fmt::format("response from {} is larger than {} bytes", endpoint.host_port(),
                             options.max_response_bytes));
}

}  // namespace statefun::detail
