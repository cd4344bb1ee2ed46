// Sends one serialized ToFunction to a function endpoint and hands back the
// raw response body. One call is one HTTP attempt: retries and backoff belong
// to the dispatcher, which knows the call budget of the endpoint.
//
// Two implementations: the worker client (make_http_function_client) and the
// event-loop client (make_loop_function_client).
//
// Thread safety: call() may be invoked from any thread. `done` must not block
// for long; where it runs depends on the client: on one of the worker
// client's threads, or on the loop thread for the loop client.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace statefun {

namespace net {
class EventLoop;
}

// How https:// calls check the server and prove who the client is. Paths
// are absolute (the emulator resolves them) and were checked to read when
// the configuration loaded (tls_files.h); an unreadable file fails the call.
struct TlsOptions {
  // PEM CA certificates trusted instead of the system's. Empty: the system's.
  std::string ca_file;
  // A PEM client certificate and its PEM private key (PKCS#8 or
  // traditional, possibly encrypted), offered when the server asks.
  std::string client_cert_file;
  std::string client_key_file;
  // A file whose first line is the password of an encrypted client key, as
  // StateFun's client_key_password. Empty: the key is not encrypted.
  std::string client_key_password_file;
  // Accept any server certificate (self-signed dev certificates).
  bool insecure_skip_verify = false;

  bool operator==(const TlsOptions&) const = default;
  // One text per distinct setting: connections are kept per origin and this.
  std::string cache_key() const {
    return ca_file + '\n' + client_cert_file + '\n' + client_key_file + '\n' +
           client_key_password_file + '\n' + (insecure_skip_verify ? "insecure" : "verify");
  }
};

struct CallOptions {
  // Time allowed to establish a TCP connection.
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(20)};
  // Time allowed for the whole attempt (send + wait + read).
  std::chrono::milliseconds attempt_timeout{std::chrono::minutes(2)};
  // Responses larger than this fail the attempt (async transport default 32 MiB).
  std::size_t max_response_bytes = 32u * 1024u * 1024u;
  // For https:// URLs only.
  TlsOptions tls{};
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
  // For kHttpStatus: the start of the response body (at most
  // kErrorBodyExcerptBytes, cut on a UTF-8 boundary), what the user reads
  // to see why the function failed.
  std::string body;
};

inline constexpr std::size_t kErrorBodyExcerptBytes = 1024;

struct CallOutcome {
  bool ok = false;
  std::string body;  // response body when ok (may be empty: "no effects")
  CallError error;   // when !ok
};

class FunctionClient {
 public:
  virtual ~FunctionClient() = default;

  // Starts one POST of `body` to `url`. `done` is called exactly once, unless
  // shutdown() comes first; never from inside call() itself.
  virtual void call(const std::string& url, std::string body, const CallOptions& options,
                    std::function<void(CallOutcome)> done) = 0;

  // Stops accepting calls; afterwards no `done` callback runs. The worker
  // client waits for running calls to finish; the loop client abandons them.
  virtual void shutdown() = 0;
};

struct HttpClientOptions {
  // Worker threads, hence the number of requests in flight at once. Each
  // worker keeps one keep-alive connection per endpoint host.
  int workers = 64;
};

// HTTP/1.1 with keep-alive (cpp-httplib) on a pool of worker threads:
// http://, https:// (with CallOptions::tls) and http+unix:// URLs.
std::unique_ptr<FunctionClient> make_http_function_client(const HttpClientOptions& options);

struct LoopClientOptions {
  // Connections to one endpoint (host:port) open at once, busy or idle; calls
  // beyond it wait for one to come free. The dispatcher sends at most one
  // request per address at once, so this only bounds bursts across addresses.
  int max_connections_per_endpoint = 128;
  // https:// calls are not made on the loop: they go to an internal worker
  // client with these options (its threads start only when needed).
  // http+unix:// calls are made on the loop, like http:// ones.
  HttpClientOptions https{};
};

// HTTP/1.1 with keep-alive on `loop`, which must outlive the client: no
// threads and no thread switches for http:// calls. call() may come from any
// thread (from another one it is posted to the loop); `done` always runs on
// the loop thread, https:// calls included. shutdown() and the destructor
// must run on the loop thread, or once no thread drives the loop any more;
// shutdown() waits for https:// calls already running on the worker client.
std::unique_ptr<FunctionClient> make_loop_function_client(net::EventLoop& loop,
                                                          LoopClientOptions options);

}  // namespace statefun
