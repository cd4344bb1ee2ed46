// Internal to the FunctionClient implementations (http_function_client.cc,
// loop_function_client.cc): how a function URL is understood and how an
// attempt's result becomes a CallOutcome. Both clients must read URLs and word
// their console lines identically, so each rule lives here once.
#pragma once

#include <cstddef>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "runtime/client/function_client.h"

namespace statefun::detail {

inline constexpr std::string_view kOctetStream = "application/octet-stream";
// Error bodies only feed a one-line console message; reading megabytes of an
// HTML error page would waste the attempt budget.
inline constexpr std::size_t kErrorBodyPrefixBytes = 4096;

// ---------------------------------------------------------------------------
// Endpoint URLs

struct Endpoint {
  std::string scheme;  // "http" or "https"
  std::string host;    // without the brackets of an IPv6 literal
  int port = 0;
  std::string target;  // path[?query][#fragment], never empty

  bool is_ipv6_literal() const { return host.find(':') != std::string::npos; }
  std::string bracketed_host() const;
  // "host:port", for messages.
  std::string host_port() const;
  // The Host header the async transport sends: the port only when it is not 80/443.
  std::string host_header() const;
  // Connections are kept per distinct key.
  std::string connection_key() const { return scheme + "://" + host_port(); }
};

// Accepts scheme://host[:port][/path][?query][#fragment] for http and https;
// the error is one line saying what is wrong. Unix sockets (http+unix) belong
// to the OkHttp transport only, which these clients do not emulate.
std::expected<Endpoint, std::string> parse_endpoint_url(std::string_view url);

// Keeps credentials a user may have typed into the URL out of console lines.
std::string redact_url(std::string_view url);

// ---------------------------------------------------------------------------
// Outcomes

CallOutcome success(std::string body);
CallOutcome failure(CallErrorKind kind, std::string message, int http_status = 0);

bool is_success_status(int status);

// First line of `text`, cut to fit one console line, with control characters
// replaced so a hostile body cannot move the cursor.
std::string first_line_for_console(std::string_view text);

// "HTTP 500: <first line of the body, else of the reason phrase>".
CallOutcome http_status_failure(int status, std::string_view reason, std::string_view body);

// Mirrors the async transport's check: some comma-separated value of some
// Content-Type header equals application/octet-stream, ignoring case. A
// parameter such as "; charset=" therefore fails, as it does in StateFun.
bool is_octet_stream(std::span<const std::string_view> content_type_headers);

// A 2xx response whose Content-Type failed is_octet_stream; `content_type` is
// the first such header, if any.
CallOutcome bad_content_type(int status, std::optional<std::string_view> content_type,
                             const Endpoint& endpoint);

// The transport failures, worded once for both clients.
CallOutcome bad_url(std::string_view url, std::string_view why);
CallOutcome connect_refused(const Endpoint& endpoint);
CallOutcome connect_timed_out(const Endpoint& endpoint, const CallOptions& options);
CallOutcome attempt_timed_out(const Endpoint& endpoint, const CallOptions& options);
CallOutcome closed_while_sending(const Endpoint& endpoint);
CallOutcome closed_before_response(const Endpoint& endpoint);
CallOutcome response_too_large(const Endpoint& endpoint, const CallOptions& options);

}  // namespace statefun::detail
