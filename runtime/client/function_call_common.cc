#include "runtime/client/function_call_common.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
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

}  // namespace

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

std::string body_excerpt(std::string_view body) {
  if (body.size() <= kErrorBodyExcerptBytes) return std::string(body);
  std::size_t cut = kErrorBodyExcerptBytes;
  // Do not split a UTF-8 sequence: back off to its lead byte.
  while (cut > 0 && (static_cast<unsigned char>(body[cut]) & 0xC0) == 0x80) --cut;
  return std::string(body.substr(0, cut));
}

CallOutcome http_status_failure(int status, std::string_view reason, std::string_view body) {
  std::string detail = first_line_for_console(body);
  if (detail.empty()) detail = first_line_for_console(reason);
  std::string message =
      detail.empty() ? fmt::format("HTTP {}", status) : fmt::format("HTTP {}: {}", status, detail);
  CallOutcome outcome = failure(CallErrorKind::kHttpStatus, std::move(message), status);
  outcome.error.body = body_excerpt(body);
  return outcome;
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

Result<Endpoint> parse_endpoint(const std::string& url) {
  return parse_url(url, UrlSchemes::kHttpAndUnixSockets);
}

CallOutcome bad_url(const Error& error) { return failure(CallErrorKind::kBadUrl, error.message); }

CallOutcome unsupported_scheme(const Endpoint& endpoint) {
  return failure(CallErrorKind::kBadUrl,
                 fmt::format("{}: statefun dev cannot call {} URLs (TLS over a Unix socket); "
                             "serve plain http+unix on the socket, or https on a TCP port",
                             endpoint.str(), endpoint.scheme));
}

CallOutcome connect_refused(const Endpoint& endpoint) {
  if (endpoint.is_unix_socket()) {
    return failure(CallErrorKind::kConnect,
                   fmt::format("could not connect to Unix socket {} (no such file, or nothing "
                               "listens on it)",
                               endpoint.host_port()));
  }
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
