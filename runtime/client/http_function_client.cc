// The production FunctionClient: a fixed pool of worker threads, each with its
// own keep-alive httplib client per endpoint, so no connection is ever shared
// between threads and no lock is held while a request is on the wire.
#include <fmt/format.h>
#include <httplib.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "runtime/client/function_call_common.h"
#include "runtime/client/function_client.h"
#include "runtime/client/tls_failures.h"
#include "runtime/client/tls_files.h"
#include "runtime/core/thread_annotations.h"

namespace statefun {
namespace {

using detail::Endpoint;
using detail::failure;
using detail::http_status_failure;
using detail::is_success_status;
using detail::kErrorBodyPrefixBytes;
using detail::kOctetStream;
using SteadyClock = std::chrono::steady_clock;

bool is_octet_stream(const httplib::Response& response) {
  const std::size_t count = response.get_header_value_count("Content-Type");
  std::vector<std::string> headers;
  for (std::size_t i = 0; i < count; ++i) {
    headers.push_back(response.get_header_value("Content-Type", i));
  }
  const std::vector<std::string_view> views(headers.begin(), headers.end());
  return detail::is_octet_stream(views);
}

CallOutcome bad_content_type(const httplib::Response& response, const Endpoint& endpoint) {
  std::optional<std::string_view> content_type;
  const std::string first = response.get_header_value("Content-Type");
  if (response.has_header("Content-Type")) content_type = first;
  return detail::bad_content_type(response.status, content_type, endpoint);
}

// ---------------------------------------------------------------------------
// One attempt

// Whether the server of the handshake running on this worker thread asked
// for a client certificate. httplib makes the handshake inside send(), on
// the calling thread, so a thread-local suffices.
thread_local bool server_asked_for_certificate = false;

// OpenSSL's message callback, which sees handshake messages decrypted (TLS
// 1.3 included): notes the server's CertificateRequest.
void note_handshake_message(int write_p, int, int content_type, const void* buffer,
                            std::size_t length, SSL*, void*) {
  if (write_p == 0 && content_type == SSL3_RT_HANDSHAKE && length > 0 &&
      *static_cast<const unsigned char*>(buffer) == SSL3_MT_CERTIFICATE_REQUEST) {
    server_asked_for_certificate = true;
  }
}

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

  // `ssl` is `client` when the URL is https, else null.
  AttemptResult run(httplib::ClientImpl& client, httplib::SSLClient* ssl, std::string body) {
    configure_timeouts(client);
    httplib::Request request = build_request(std::move(body));
    httplib::Response response;
    httplib::Error error = httplib::Error::Success;
    // What OpenSSL reports while this call runs is then about this call.
    if (ssl) ERR_clear_error();
    server_asked_for_certificate = false;
    const bool completed = client.send(request, response, error);
    if (stop_reason_ == StopReason::kErrorBodyPrefixRead) {
      return {http_status_failure(status_, response.reason, received_), true};
    }
    if (!completed && ssl) {
      if (auto outcome = tls_failure(error, *ssl)) return {std::move(*outcome), true};
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
    request.path = endpoint_.request_target();
    // The async transport's headers (docs/protocol.md, "Wire rules"); httplib adds Content-Length.
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
    return detail::success(std::move(received_));
  }

  // httplib reports an expired read or write timeout as a plain Read/Write
  // error, like a closed connection; only the elapsed time tells them apart.
  bool attempt_time_used_up() const {
    return SteadyClock::now() - started_ >= options_.attempt_timeout;
  }

  // httplib says only "SSLServerVerification"; the client keeps OpenSSL's
  // verdict on the chain, and an OK chain leaves the host check as the cause.
  std::optional<CallOutcome> tls_failure(httplib::Error error, httplib::SSLClient& ssl) const {
    const unsigned long openssl_error = detail::take_telling_openssl_error();
    const bool sent_certificate = !options_.tls.client_cert_file.empty();
    switch (error) {
      case httplib::Error::SSLServerVerification:
        if (const long verdict = ssl.get_openssl_verify_result(); verdict != X509_V_OK) {
          return detail::certificate_not_trusted(endpoint_, verdict);
        }
        return detail::certificate_for_another_host(endpoint_);
      case httplib::Error::SSLLoadingCerts:
        return detail::tls_files_unusable(
            endpoint_, fmt::format("cannot load the CA file {}", options_.tls.ca_file));
      case httplib::Error::SSLConnection:
      case httplib::Error::Read:
      case httplib::Error::Write:
        break;
      default:
        return std::nullopt;
    }
    // A TLS 1.3 server judges the client certificate after the client's side
    // of the handshake is done: its alert may come after the request went
    // out, or be lost when it resets the connection. That it asked for one
    // is known in any case.
    if (server_asked_for_certificate && !sent_certificate) {
      return detail::client_certificate_missing(endpoint_, openssl_error);
    }
    auto outcome = detail::tls_failure(endpoint_, openssl_error, sent_certificate,
                                       error == httplib::Error::SSLConnection);
    if (!outcome && server_asked_for_certificate) {
      return detail::client_certificate_perhaps_refused(endpoint_, options_.tls.client_cert_file);
    }
    return outcome;
  }

  CallOutcome transport_failure(httplib::Error error) const {
    const std::string where = endpoint_.host_port();
    switch (error) {
      case httplib::Error::Canceled:
        return stopped_reading_failure();
      case httplib::Error::Connection:
        return detail::connect_refused(endpoint_);
      case httplib::Error::ConnectionTimeout:
        return detail::connect_timed_out(endpoint_, options_);
      case httplib::Error::Read:
      case httplib::Error::Write:
        if (attempt_time_used_up()) return detail::attempt_timed_out(endpoint_, options_);
        return error == httplib::Error::Write ? detail::closed_while_sending(endpoint_)
                                              : detail::closed_before_response(endpoint_);
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
        return detail::response_too_large(endpoint_, options_);
      case StopReason::kPastDeadline:
        return detail::attempt_timed_out(endpoint_, options_);
      default:
        return failure(CallErrorKind::kDisconnected,
                       fmt::format("request to {} was cancelled", endpoint_.host_port()));
    }
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
    const auto endpoint = detail::parse_endpoint(url);
    if (!endpoint) return detail::bad_url(endpoint.error());
    if (endpoint->scheme == "https+unix") return detail::unsupported_scheme(*endpoint);
    const std::string key = connection_key(*endpoint, options);
    auto& client = clients_[key];
    if (!client.http) {
      auto opened = open_client(*endpoint, options.tls);
      if (!opened) {
        clients_.erase(key);
        return detail::tls_files_unusable(*endpoint, opened.error().message);
      }
      client = std::move(*opened);
    }
    AttemptResult result =
        Attempt(*endpoint, options).run(*client.http, client.ssl, std::move(body));
    if (result.connection_unusable) clients_.erase(key);
    return std::move(result.outcome);
  }

 private:
  struct Client {
    std::unique_ptr<httplib::ClientImpl> http;
    httplib::SSLClient* ssl = nullptr;  // `http` itself, for https
  };

  // Calls to one server with different TLS settings (two endpoints, or a
  // reload that changed them) must not share a connection.
  static std::string connection_key(const Endpoint& endpoint, const CallOptions& options) {
    if (endpoint.scheme != "https") return endpoint.origin();
    return endpoint.origin() + '\n' + options.tls.cache_key();
  }

  static Result<Client> open_client(const Endpoint& endpoint, const TlsOptions& tls) {
    Client client;
    if (endpoint.scheme == "https") {
      auto ssl = open_ssl_client(endpoint, tls);
      if (!ssl) return std::unexpected(ssl.error());
      client.ssl = ssl->get();
      client.http = std::move(*ssl);
    } else if (endpoint.is_unix_socket()) {
      // httplib takes the socket file where the host would go.
      client.http = std::make_unique<httplib::ClientImpl>(endpoint.socket_path(), 80);
      client.http->set_address_family(AF_UNIX);
    } else {
      client.http = std::make_unique<httplib::ClientImpl>(endpoint.host, endpoint.port);
    }
    client.http->set_keep_alive(true);
    // httplib writes the head and the body in separate send() calls; with
    // Nagle on, the body waits for the peer's delayed ACK (~40 ms per call).
    client.http->set_tcp_nodelay(true);
    // Send the path exactly as configured, like the async transport does.
    client.http->set_url_encode(false);
    return client;
  }

  static Result<std::unique_ptr<httplib::SSLClient>> open_ssl_client(const Endpoint& endpoint,
                                                                     const TlsOptions& tls) {
    std::unique_ptr<httplib::SSLClient> client;
    if (tls.client_cert_file.empty() && tls.client_key_file.empty()) {
      client = std::make_unique<httplib::SSLClient>(endpoint.host, endpoint.port);
    } else {
      // httplib 0.11 reads a key file only without a password, so the key
      // is loaded here; the client's SSL context keeps its own references.
      auto identity = load_client_identity(tls);
      if (!identity) return std::unexpected(identity.error());
      client = std::make_unique<httplib::SSLClient>(
          endpoint.host, endpoint.port, identity->certificate.get(), identity->key.get());
    }
    if (!client->is_valid()) {
      return make_error(ErrorCode::kInvalidArgument,
                        "OpenSSL did not accept the client certificate and key");
    }
    SSL_CTX_set_msg_callback(client->ssl_context(), note_handshake_message);
    if (!tls.ca_file.empty()) client->set_ca_cert_path(tls.ca_file.c_str());
    client->enable_server_certificate_verification(!tls.insecure_skip_verify);
    return client;
  }

  std::unordered_map<std::string, Client> clients_;
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
    // The lock matters then: the first call's callback can run (and destroy
    // the client) while that call() is still adding its worker to workers_.
    MutexLock lock(shutdown_mutex_);
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
    MutexLock lock(shutdown_mutex_);
    if (workers_.size() < max_workers_ && !shut_down_) workers_.emplace_back(run_worker, queue_);
  }

  void shutdown() override {
    queue_->close();  // discarded calls die here, outside the queue lock
    // A worker cannot wait for itself, and waiting for its peers from inside
    // a callback risks deadlock; the destructor or an outside shutdown joins.
    if (queue_of_current_worker == queue_.get()) return;
    MutexLock lock(shutdown_mutex_);
    shut_down_ = true;
    for (std::thread& worker : workers_) worker.join();
    workers_.clear();
  }

 private:
  std::shared_ptr<CallQueue> queue_;
  const std::size_t max_workers_;
  Mutex shutdown_mutex_;
  std::vector<std::thread> workers_ STATEFUN_GUARDED_BY(shutdown_mutex_);
  bool shut_down_ STATEFUN_GUARDED_BY(shutdown_mutex_) = false;
};

}  // namespace

std::unique_ptr<FunctionClient> make_http_function_client(const HttpClientOptions& options) {
  return std::make_unique<HttpFunctionClient>(options.workers);
}

}  // namespace statefun
