// Internal to the FunctionClient implementations (http_function_client.cc,
// loop_function_client.cc): how an attempt's result becomes a CallOutcome.
// Both clients must word their console lines identically, so each rule lives
// here once. URLs are read by runtime/core/url.h, as everywhere else.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "runtime/client/function_client.h"
#include "runtime/core/result.h"
#include "runtime/core/url.h"

namespace statefun::detail {

inline constexpr std::string_view kOctetStream = "application/octet-stream";
// Error bodies only feed a one-line console message; reading megabytes of an
// HTML error page would waste the attempt budget.
inline constexpr std::size_t kErrorBodyPrefixBytes = 4096;

// ---------------------------------------------------------------------------
// Endpoint URLs

// A function URL as the clients call it: parse_url with http, https and
// http+unix (https+unix is refused: unsupported_scheme). request_target()
// goes on the request line, host_header() into Host, and connections are
// kept per origin().
using Endpoint = Url;

// parse_url as the clients read function URLs.
Result<Endpoint> parse_endpoint(const std::string& url);

// ---------------------------------------------------------------------------
// Outcomes

CallOutcome success(std::string body);
CallOutcome failure(CallErrorKind kind, std::string message, int http_status = 0);

bool is_success_status(int status);

// First line of `text`, cut to fit one console line, with control characters
// replaced so a hostile body cannot move the cursor.
std::string first_line_for_console(std::string_view text);

// The first kErrorBodyExcerptBytes of `body`, not splitting a UTF-8 sequence.
std::string body_excerpt(std::string_view body);

// "HTTP 500: <first line of the body, else of the reason phrase>", with the
// body's excerpt in CallError::body.
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
// A URL parse_url refused; its error already names the URL (without credentials).
CallOutcome bad_url(const Error& error);
// A URL that parses but that these clients cannot call (https+unix).
CallOutcome unsupported_scheme(const Endpoint& endpoint);
CallOutcome connect_refused(const Endpoint& endpoint);
CallOutcome connect_timed_out(const Endpoint& endpoint, const CallOptions& options);
CallOutcome attempt_timed_out(const Endpoint& endpoint, const CallOptions& options);
CallOutcome closed_while_sending(const Endpoint& endpoint);
CallOutcome closed_before_response(const Endpoint& endpoint);
CallOutcome response_too_large(const Endpoint& endpoint, const CallOptions& options);

}  // namespace statefun::detail
