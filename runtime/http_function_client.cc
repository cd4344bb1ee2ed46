// The production FunctionClient: a fixed pool of worker threads, each with its
// own keep-alive httplib client per endpoint, so no connection is ever shared
// between threads and no lock is held while a request is on the wire.
#include <fmt/format.h>
#include <httplib.h>
#include <pthread.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <deque>
#include <expected>
#include <mutex>
#include <optional>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "runtime/function_client.h"

namespace statefun {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::string_view kOctetStream = "application/octet-stream";
// Error bodies only feed a one-line console message; reading megabytes of an
// HTML error page would waste the attempt budget.
constexpr std::size_t kErrorBodyPrefixBytes = 4096;
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

// ---------------------------------------------------------------------------
// Endpoint URLs

struct Endpoint {
  std::string scheme;  // "http" or "https"
  std::string host;    // without the brackets of an IPv6 literal
  int port = 0;
  std::string target;  // path[?query][#fragment], never empty

  bool is_ipv6_literal() const { return host.find(':') != std::string::npos; }

  std::string bracketed_host() const { return is_ipv6_literal() ? "[" + host + "]" : host; }

  // "host:port", for messages.
  std::string host_port() const { return fmt::format("{}:{}", bracketed_host(), port); }

  // The Host header the async transport sends: the port only when it is not 80/443.
  std::string host_header() const {
    return port == 80 || port == 443 ? bracketed_host() : host_port();
  }

  // Workers keep one connection per distinct key.
  std::string connection_key() const { return scheme + "://" + host_port(); }
};

using UrlResult = std::expected<Endpoint, std::string>;

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

// Accepts scheme://host[:port][/path][?query][#fragment] for http and https.
// Unix sockets (http+unix) belong to the OkHttp transport only, which this
// client does not emulate.
UrlResult parse_endpoint_url(std::string_view url) {
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

// Keeps credentials a user may have typed into the URL out of console lines.
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

CallOutcome failure(CallErrorKind kind, std::string message, int http_status = 0) {
  CallOutcome outcome;
  outcome.error.kind = kind;
  outcome.error.http_status = http_status;
  outcome.error.message = std::move(message);
  return outcome;
}

bool is_success_status(int status) { return status >= 200 && status <= 299; }

// First line of `text`, cut to fit one console line, with control characters
// replaced so a hostile body cannot move the cursor.
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

// Mirrors the async transport's check: some comma-separated value of some
// Content-Type header equals application/octet-stream, ignoring case. A
// parameter such as "; charset=" therefore fails, as it does in StateFun.
bool is_octet_stream(const httplib::Response& response) {
  const std::size_t count = response.get_header_value_count("Content-Type");
  for (std::size_t i = 0; i < count; ++i) {
    const std::string header = response.get_header_value("Content-Type", i);
    std::string_view values = header;
    while (true) {
      const auto comma = values.find(',');
      if (to_lower(trim(values.substr(0, comma))) == kOctetStream) return true;
      if (comma == std::string_view::npos) break;
      values.remove_prefix(comma + 1);
    }
  }
  return false;
}

CallOutcome bad_content_type(const httplib::Response& response, const Endpoint& endpoint) {
  const std::string received =
      response.has_header("Content-Type")
          ? fmt::format("Content-Type '{}'",
                        first_line_for_console(response.get_header_value("Content-Type")))
          : std::string("no Content-Type");
  return failure(CallErrorKind::kBadContentType,
                 fmt::format("HTTP {} from {} with {} (expected {})", response.status,
                             endpoint.host_port(), received, kOctetStream));
}

// ---------------------------------------------------------------------------
// One attempt

// Why the response reader stopped reading before httplib was done.
enum class StopReason { kNone, kTooLarge, kPastDeadline, kErrorBodyPrefixRead };

struct AttemptResult {
  CallOutcome outcome;
  // The connection is in an unknown state (half-read response, late reply
  // still on its way): reusing it could hand the next call a stale answer.
  bool connection_unusable = false;
};

class Attempt {
 public:
  Attempt(const Endpoint& endpoint, const CallOptions& options)
      : endpoint_(endpoint), options_(options), started_(SteadyClock::now()) {}

  AttemptResult run(httplib::ClientImpl& client, std::string body) {
    configure_timeouts(client);
    httplib::Request request = build_request(std::move(body));
    httplib::Response response;
    httplib::Error error = httplib::Error::Success;
    const bool completed = client.send(request, response, error);
    if (stop_reason_ == StopReason::kErrorBodyPrefixRead) {
      return {http_status_failure(status_, response.reason, received_), true};
    }
    if (!completed) return {transport_failure(error), true};
    return {classify_response(response), false};
  }

 private:
  // httplib keeps timeouts per client object and every call brings its own
  // options, so they are set again for each attempt.
  void configure_timeouts(httplib::ClientImpl& client) const {
    client.set_connection_timeout(options_.connect_timeout);
    client.set_read_timeout(options_.attempt_timeout);
    client.set_write_timeout(options_.attempt_timeout);
  }

  httplib::Request build_request(std::string body) {
    httplib::Request request;
    request.method = "POST";
    request.path = endpoint_.target;
    // The async transport's headers (protocol.md §2.2); httplib adds Content-Length.
    request.set_header("Host", endpoint_.host_header());
    request.set_header("Content-Type", std::string(kOctetStream));
    request.set_header("Accept", std::string(kOctetStream));
    request.set_header("Accept-Encoding", "gzip,deflate");
    request.set_header("Connection", "keep-alive");
    request.set_header("User-Agent", "statefun");
    request.body = std::move(body);
    request.response_handler = [this](const httplib::Response& head) { return accept_head(head); };
    request.content_receiver = [this](const char* data, std::size_t size, std::uint64_t,
                                      std::uint64_t) { return accept_body_chunk(data, size); };
    return request;
  }

  // Rejects an announced oversized body before reading any of it.
  bool accept_head(const httplib::Response& head) {
    status_ = head.status;
    if (!is_success_status(status_) || !head.has_header("Content-Length")) return true;
    const std::string declared = head.get_header_value("Content-Length");
    std::uint64_t length = 0;
    const auto [end, error] =
        std::from_chars(declared.data(), declared.data() + declared.size(), length);
    if (error == std::errc{} && end == declared.data() + declared.size() &&
        length > options_.max_response_bytes) {
      stop_reason_ = StopReason::kTooLarge;
      return false;
    }
    return true;
  }

  bool accept_body_chunk(const char* data, std::size_t size) {
    // httplib's read timeout restarts with every chunk; this bounds the whole attempt.
    if (SteadyClock::now() - started_ > options_.attempt_timeout) {
      stop_reason_ = StopReason::kPastDeadline;
      return false;
    }
    if (!is_success_status(status_)) return keep_error_body_prefix(data, size);
    if (received_.size() + size > options_.max_response_bytes) {
      stop_reason_ = StopReason::kTooLarge;
      return false;
    }
    received_.append(data, size);
    return true;
  }

  bool keep_error_body_prefix(const char* data, std::size_t size) {
    received_.append(data, std::min(size, kErrorBodyPrefixBytes - received_.size()));
    if (received_.size() < kErrorBodyPrefixBytes) return true;
    stop_reason_ = StopReason::kErrorBodyPrefixRead;
    return false;
  }

  CallOutcome classify_response(const httplib::Response& response) {
    if (!is_success_status(response.status)) {
      return http_status_failure(response.status, response.reason, received_);
    }
    if (!is_octet_stream(response)) return bad_content_type(response, endpoint_);
    return success(std::move(received_));
  }

  // httplib reports an expired read or write timeout as a plain Read/Write
  // error, like a closed connection; only the elapsed time tells them apart.
  bool attempt_time_used_up() const {
    return SteadyClock::now() - started_ >= options_.attempt_timeout;
  }

  CallOutcome transport_failure(httplib::Error error) const {
    const std::string where = endpoint_.host_port();
    switch (error) {
      case httplib::Error::Canceled:
        return stopped_reading_failure();
      case httplib::Error::Connection:
        return failure(CallErrorKind::kConnect,
                       fmt::format("could not connect to {} (connection refused, host "
                                   "unreachable or unknown)",
                                   where));
      case httplib::Error::ConnectionTimeout:
        return failure(CallErrorKind::kTimeout,
                       fmt::format("connecting to {} timed out after {} ms", where,
                                   options_.connect_timeout.count()));
      case httplib::Error::Read:
      case httplib::Error::Write:
        if (attempt_time_used_up()) return attempt_timeout_failure();
        return failure(CallErrorKind::kDisconnected,
                       error == httplib::Error::Write
                           ? fmt::format("connection to {} closed while sending the request", where)
                           : fmt::format("connection to {} closed before a full response", where));
      case httplib::Error::SSLConnection:
      case httplib::Error::SSLLoadingCerts:
      case httplib::Error::SSLServerVerification:
      case httplib::Error::BindIPAddress:
        return failure(CallErrorKind::kConnect, fmt::format("could not connect to {}: {}", where,
                                                            httplib::to_string(error)));
      default:
        return failure(CallErrorKind::kDisconnected,
                       fmt::format("request to {} failed: {}", where, httplib::to_string(error)));
    }
  }

  CallOutcome stopped_reading_failure() const {
    switch (stop_reason_) {
      case StopReason::kTooLarge:
        return failure(CallErrorKind::kTooLarge,
                       fmt::format("response from {} is larger than {} bytes",
                                   endpoint_.host_port(), options_.max_response_bytes));
      case StopReason::kPastDeadline:
        return attempt_timeout_failure();
      default:
        return failure(CallErrorKind::kDisconnected,
                       fmt::format("request to {} was cancelled", endpoint_.host_port()));
    }
  }

  CallOutcome attempt_timeout_failure() const {
    return failure(CallErrorKind::kTimeout,
                   fmt::format("no complete response from {} within {} ms", endpoint_.host_port(),
                               options_.attempt_timeout.count()));
  }

  const Endpoint& endpoint_;
  const CallOptions& options_;
  const SteadyClock::time_point started_;
  int status_ = 0;
  StopReason stop_reason_ = StopReason::kNone;
  std::string received_;
};

// ---------------------------------------------------------------------------
// Per-worker connections

// Owned by exactly one worker thread, so it needs no locking.
class WorkerConnections {
 public:
  CallOutcome call(const std::string& url, std::string body, const CallOptions& options) {
    const UrlResult endpoint = parse_endpoint_url(url);
    if (!endpoint) {
      return failure(CallErrorKind::kBadUrl,
                     fmt::format("cannot call '{}': {}", redact_url(url), endpoint.error()));
    }
    const std::string key = endpoint->connection_key();
    AttemptResult result = Attempt(*endpoint, options).run(client_for(*endpoint), std::move(body));
    if (result.connection_unusable) clients_.erase(key);
    return std::move(result.outcome);
  }

 private:
  httplib::ClientImpl& client_for(const Endpoint& endpoint) {
    auto& client = clients_[endpoint.connection_key()];
    if (!client) client = open_client(endpoint);
    return *client;
  }

  static std::unique_ptr<httplib::ClientImpl> open_client(const Endpoint& endpoint) {
    std::unique_ptr<httplib::ClientImpl> client;
    if (endpoint.scheme == "https") {
      client = std::make_unique<httplib::SSLClient>(endpoint.host, endpoint.port);
    } else {
      client = std::make_unique<httplib::ClientImpl>(endpoint.host, endpoint.port);
    }
    client->set_keep_alive(true);
    // httplib writes the head and the body in separate send() calls; with
    // Nagle on, the body waits for the peer's delayed ACK (~40 ms per call).
    client->set_tcp_nodelay(true);
    // Send the path exactly as configured, like the async transport does.
    client->set_url_encode(false);
    return client;
  }

  std::unordered_map<std::string, std::unique_ptr<httplib::ClientImpl>> clients_;
};

// ---------------------------------------------------------------------------
// The queue and the workers

struct PendingCall {
  std::string url;
  std::string body;
  CallOptions options;
  std::function<void(CallOutcome)> done;
};

// Shared by the client object and its workers, so a worker stays valid even
// when the client object is destroyed from inside one of its own callbacks.
class CallQueue {
 public:
  enum class Pushed { kRejected, kQueued, kQueuedNoIdleWorker };

  // kRejected once closed: the call is not taken. kQueuedNoIdleWorker tells
  // the client that every worker is busy, so it may start another.
  Pushed push(PendingCall call) {
    // Notified under the lock: the call's own callback may destroy the last
    // owner of this queue as soon as a worker can see the call.
    std::lock_guard lock(mutex_);
    if (closed_) return Pushed::kRejected;
    pending_.push_back(std::move(call));
    ready_.notify_one();
    return pending_.size() > idle_ ? Pushed::kQueuedNoIdleWorker : Pushed::kQueued;
  }

  // Blocks until a call is available; nullopt once the queue is closed.
  std::optional<PendingCall> pop() {
    std::unique_lock lock(mutex_);
    ++idle_;
    ready_.wait(lock, [this] { return closed_ || !pending_.empty(); });
    --idle_;
    if (closed_) return std::nullopt;
    PendingCall call = std::move(pending_.front());
    pending_.pop_front();
    return call;
  }

  // Returns the calls that never started, so the caller destroys them (and
  // whatever their callbacks captured) outside the lock.
  std::deque<PendingCall> close() {
    std::deque<PendingCall> discarded;
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
      discarded.swap(pending_);
    }
    ready_.notify_all();
    return discarded;
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<PendingCall> pending_;
  std::size_t idle_ = 0;  // workers waiting in pop()
  bool closed_ = false;
};

// Lets shutdown() notice it runs inside one of its own callbacks.
thread_local const CallQueue* queue_of_current_worker = nullptr;

// httplib 0.11 sends with flags 0, so writing to a connection the function
// process has reset raises SIGPIPE, whose default action kills the emulator.
// Blocked here, the write fails with EPIPE instead.
void block_sigpipe_in_this_thread() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

void run_worker(std::shared_ptr<CallQueue> queue) {
  block_sigpipe_in_this_thread();
  queue_of_current_worker = queue.get();
  WorkerConnections connections;
  while (std::optional<PendingCall> call = queue->pop()) {
    CallOutcome outcome = connections.call(call->url, std::move(call->body), call->options);
    call->done(std::move(outcome));
  }
}

class HttpFunctionClient final : public FunctionClient {
 public:
  // Workers start on demand, up to `max_workers`: an idle emulator keeps no
  // threads (and no memory) for requests it does not make.
  explicit HttpFunctionClient(int max_workers)
      : queue_(std::make_shared<CallQueue>()),
        max_workers_(static_cast<std::size_t>(std::max(1, max_workers))) {}

  ~HttpFunctionClient() override {
    shutdown();
    // Only non-empty when the last owner dropped the client inside a
    // callback: those workers finish their current call and exit on their own.
    for (std::thread& worker : workers_) worker.detach();
  }

  // After shutdown the call is dropped without a callback, as the contract
  // promises no callback once shutdown has begun.
  void call(const std::string& url, std::string body, const CallOptions& options,
            std::function<void(CallOutcome)> done) override {
    if (queue_->push(PendingCall{url, std::move(body), options, std::move(done)}) !=
        CallQueue::Pushed::kQueuedNoIdleWorker) {
      return;
    }
    std::lock_guard lock(shutdown_mutex_);
    if (workers_.size() < max_workers_ && !shut_down_) workers_.emplace_back(run_worker, queue_);
  }

  void shutdown() override {
    queue_->close();  // discarded calls die here, outside the queue lock
    // A worker cannot wait for itself, and waiting for its peers from inside
    // a callback risks deadlock; the destructor or an outside shutdown joins.
    if (queue_of_current_worker == queue_.get()) return;
    std::lock_guard lock(shutdown_mutex_);
    shut_down_ = true;
    for (std::thread& worker : workers_) worker.join();
    workers_.clear();
  }

 private:
  std::shared_ptr<CallQueue> queue_;
  const std::size_t max_workers_;
  std::mutex shutdown_mutex_;  // guards workers_ and shut_down_
  std::vector<std::thread> workers_;
  bool shut_down_ = false;
};

}  // namespace

std::unique_ptr<FunctionClient> make_http_function_client(const HttpClientOptions& options) {
  return std::make_unique<HttpFunctionClient>(options.workers);
}

}  // namespace statefun
