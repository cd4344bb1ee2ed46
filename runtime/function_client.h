// Sends one serialized ToFunction to a function endpoint and hands back the
// raw response body. One call is one HTTP attempt: retries and backoff belong
// to the dispatcher, which knows the call budget of the endpoint.
//
// Thread safety: call() may be invoked from any thread; `done` runs on a
// client-owned worker thread and must not block for long.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace statefun {

struct CallOptions {
  // Time allowed to establish a TCP connection.
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(20)};
  // Time allowed for the whole attempt (send + wait + read).
  std::chrono::milliseconds attempt_timeout{std::chrono::minutes(2)};
  // Responses larger than this fail the attempt (async transport default 32 MiB).
  std::size_t max_response_bytes = 32u * 1024u * 1024u;
};

enum class CallErrorKind {
  kConnect,         // could not connect (refused, unreachable, DNS)
  kTimeout,         // connect or attempt timeout
  kDisconnected,    // connection closed or reset before a full response
  kHttpStatus,      // non-2xx status
  kBadContentType,  // 2xx but Content-Type is not application/octet-stream
  kTooLarge,        // body over max_response_bytes
  kBadUrl,          // the URL cannot be used (scheme, host)
};

struct CallError {
  CallErrorKind kind = CallErrorKind::kConnect;
  int http_status = 0;  // for kHttpStatus
  std::string message;  // one line for the console, e.g. "HTTP 500: boom"
};

struct CallOutcome {
  bool ok = false;
  std::string body;  // response body when ok (may be empty: "no effects")
  CallError error;   // when !ok
};

class FunctionClient {
 public:
  virtual ~FunctionClient() = default;

  // Starts one POST of `body` to `url`. `done` is called exactly once.
  virtual void call(const std::string& url, std::string body, const CallOptions& options,
                    std::function<void(CallOutcome)> done) = 0;

  // Stops accepting calls and waits for running ones to finish; afterwards
  // no `done` callback runs.
  virtual void shutdown() = 0;
};

struct HttpClientOptions {
  // Worker threads, hence the number of requests in flight at once. Each
  // worker keeps one keep-alive connection per endpoint host.
  int workers = 64;
};

// The production client: HTTP/1.1 with keep-alive (cpp-httplib).
std::unique_ptr<FunctionClient> make_http_function_client(const HttpClientOptions& options);

}  // namespace statefun
