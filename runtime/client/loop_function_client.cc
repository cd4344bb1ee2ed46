// The event-loop FunctionClient: every http:// and http+unix:// call is a
// state machine on the
// engine's EventLoop (non-blocking connect, one sendmsg() for head and body,
// an incremental response parser), so a call costs no thread switch.
//
// Connections are pooled per endpoint (host:port, or socket file) and reused while the server
// keeps them alive. Calls complete through one queue that is drained at the
// end of each entry from the loop (fd handler, timer, posted task): `done`
// never runs in the middle of the client's own bookkeeping, so it may call
// call(), shutdown(), or destroy the client.
#include <fmt/format.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "runtime/client/content_decoding.h"
#include "runtime/client/function_call_common.h"
#include "runtime/client/function_client.h"
#include "runtime/net/event_loop.h"
#include "runtime/net/http_message.h"
#include "runtime/net/tcp_connect.h"

namespace statefun {
namespace {

using detail::Endpoint;
using net::EventLoop;
using Clock = EventLoop::Clock;
using Done = std::function<void(CallOutcome)>;
using ConnectionId = std::uint64_t;

// EPOLLRDHUP on an idle connection is how a server's keep-alive close shows.
constexpr std::uint32_t kReadEvents = EPOLLIN | EPOLLRDHUP;
constexpr std::size_t kReadChunkBytes = 64 * 1024;

std::string request_head(const Endpoint& endpoint, std::size_t body_bytes) {
  // The async transport's headers (docs/protocol.md, "Wire rules"); the target goes out
  // exactly as configured, without URL encoding.
  return fmt::format(
      "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: {}\r\nAccept: {}\r\n"
      "Accept-Encoding: gzip,deflate\r\nConnection: keep-alive\r\nUser-Agent: statefun\r\n"
      "Content-Length: {}\r\n\r\n",
      endpoint.request_target(), endpoint.host_header(), detail::kOctetStream, detail::kOctetStream,
      body_bytes);
}

// 1xx responses come before the real one and carry no body.
bool is_interim_status(int status) { return status >= 100 && status <= 199 && status != 101; }

CallOutcome classify_response(net::HttpMessage& response, const Endpoint& endpoint,
                              const CallOptions& options) {
  const std::string* encoding = response.header("Content-Encoding");
  const std::string_view content_encoding = encoding ? std::string_view(*encoding) : "";
  if (!detail::is_success_status(response.status)) {
    if (detail::decode_content(content_encoding, response.body, detail::kErrorBodyPrefixBytes,
                               /*prefix_only=*/true) != detail::DecodeResult::kOk) {
      response.body.clear();  // unreadable: the reason phrase speaks instead
    }
    return detail::http_status_failure(response.status, response.reason, response.body);
  }
  const std::vector<std::string_view> content_types = response.headers_named("Content-Type");
  if (!detail::is_octet_stream(content_types)) {
    std::optional<std::string_view> first;
    if (!content_types.empty()) first = content_types.front();
    return detail::bad_content_type(response.status, first, endpoint);
  }
  switch (detail::decode_content(content_encoding, response.body, options.max_response_bytes,
                                 /*prefix_only=*/false)) {
    case detail::DecodeResult::kOk:
      return detail::success(std::move(response.body));
    case detail::DecodeResult::kTooLarge:
      return detail::response_too_large(endpoint, options);
    case detail::DecodeResult::kCorrupt:
      return detail::failure(
          CallErrorKind::kDisconnected,
          fmt::format("response from {} is not valid {} data", endpoint.host_port(),
                      detail::first_line_for_console(content_encoding)));
    case detail::DecodeResult::kUnsupported:
      break;
  }
  return detail::failure(
      CallErrorKind::kBadContentType,
      fmt::format("HTTP {} from {} with Content-Encoding '{}' (expected gzip, deflate or none)",
                  response.status, endpoint.host_port(),
                  detail::first_line_for_console(content_encoding)));
}

// One call, from call() to its `done`.
struct Call {
  Endpoint endpoint;
  std::string head;
  std::string body;
  CallOptions options;
  Done done;
  // Fixed when the request first goes out; a transparent retry keeps it.
  std::optional<Clock::time_point> deadline;
  bool retried = false;
};

struct Connection {
  enum class State { kConnecting, kSending, kReceiving, kIdle };

  ConnectionId id = 0;
  std::string pool_key;
  int fd = -1;
  State state = State::kConnecting;
  std::uint32_t watched = 0;  // events the loop watches for; 0 when not watched
  bool reused = false;        // carried a whole exchange before the current one
  // While connecting: the endpoint's addresses, tried in turn.
  std::vector<detail::SocketAddress> addresses;
  std::size_t next_address = 0;
  bool last_connect_timed_out = false;
  EventLoop::TimerId connect_timer = 0;  // 0: none (the loop never hands out 0)
  // The exchange in progress.
  std::unique_ptr<Call> call;
  std::size_t sent = 0;
  std::size_t received = 0;
  std::optional<net::HttpParser> parser;
  EventLoop::TimerId attempt_timer = 0;
};

struct Pool {
  std::vector<detail::SocketAddress> addresses;  // cached; cleared when connecting fails
  std::vector<ConnectionId> idle;                // most recently used last
  std::size_t open = 0;                          // connections in any state
  std::deque<std::unique_ptr<Call>> waiting;     // beyond max_connections_per_endpoint
  bool pumping = false;
};

// Shared with the loop's handlers through weak pointers, so a handler, timer
// or posted task that outlives the client finds nothing and does nothing.
class Core : public std::enable_shared_from_this<Core> {
 public:
  Core(EventLoop& loop, LoopClientOptions options)
      : loop_(loop),
        options_(std::move(options)),
        max_connections_(
            static_cast<std::size_t>(std::max(1, options_.max_connections_per_endpoint))),
        read_buffer_(kReadChunkBytes) {}

  ~Core() { shutdown(); }

  // Runs `work` on the loop thread as one entry into the client, then the
  // callbacks it completed. The local owner keeps the core alive even when
  // a callback destroys the client.
  template <typename Work>
  static void enter(const std::weak_ptr<Core>& weak, Work&& work) {
    const std::shared_ptr<Core> core = weak.lock();
    if (!core || core->closed_) return;
    ++core->entries_;
    work(*core);
    core->deliver();
    --core->entries_;
  }

  // Loop thread only.
  void start(const std::string& url, std::string body, const CallOptions& options, Done done) {
    if (closed_) return;
    auto endpoint = detail::parse_endpoint(url);
    if (!endpoint) return complete(std::move(done), detail::bad_url(endpoint.error()));
    if (endpoint->scheme == "https" || endpoint->scheme == "https+unix") {
      return delegate(url, std::move(body), options, std::move(done));
    }
    auto call = std::make_unique<Call>();
    call->head = request_head(*endpoint, body.size());
    call->endpoint = std::move(*endpoint);
    call->body = std::move(body);
    call->options = options;
    call->done = std::move(done);
    Pool& pool = pools_[call->endpoint.host_port()];
    if (!pool.waiting.empty()) {
      pool.waiting.push_back(std::move(call));  // first come, first served
    } else {
      assign(pool, std::move(call));
    }
  }

  void shutdown() {
    if (closed_) return;
    closed_ = true;
    // Taken out first: destroying a pending callback may run arbitrary code.
    decltype(connections_) connections;
    decltype(pools_) pools;
    decltype(completed_) completed;
    connections.swap(connections_);
    pools.swap(pools_);
    completed.swap(completed_);
    for (auto& [id, connection] : connections) {
      cancel_timers(*connection);
      if (connection->watched != 0) loop_.unwatch(connection->fd);
      if (connection->fd >= 0) ::close(connection->fd);
    }
    // The workers post their results to the loop: none may run after this.
    if (https_) https_->shutdown();
  }

 private:
  struct Completion {
    Done done;
    CallOutcome outcome;
  };

  // ---------------------------------------------------------------------
  // Completing calls

  // Queues `done`; it runs when the current entry ends, or from a posted
  // task when there is no entry (call() made on the loop thread by others).
  void complete(Done done, CallOutcome outcome) {
    completed_.push_back({std::move(done), std::move(outcome)});
    if (entries_ > 0 || delivery_posted_) return;
    delivery_posted_ = true;
    loop_.post([weak = weak_from_this()] {
      enter(weak, [](Core& core) { core.delivery_posted_ = false; });
    });
  }

  void deliver() {
    while (!closed_ && !completed_.empty()) {
      Completion next = std::move(completed_.front());
      completed_.pop_front();
      next.done(std::move(next.outcome));
    }
  }

  void delegate(const std::string& url, std::string body, const CallOptions& options, Done done) {
    if (!https_) https_ = make_http_function_client(options_.https);
    https_->call(
        url, std::move(body), options,
        [weak = weak_from_this(), &loop = loop_,
         done = std::move(done)](CallOutcome outcome) mutable {
          loop.post([weak, done = std::move(done), outcome = std::move(outcome)]() mutable {
            enter(weak, [&](Core& core) { core.complete(std::move(done), std::move(outcome)); });
          });
        });
  }

  // ---------------------------------------------------------------------
  // Pools

  void assign(Pool& pool, std::unique_ptr<Call> call) {
    if (!pool.idle.empty()) {
      Connection& connection = *connections_.at(pool.idle.back());
      pool.idle.pop_back();
      connection.call = std::move(call);
      begin_exchange(connection);
    } else if (pool.open < max_connections_) {
      open_connection(pool, std::move(call));
    } else {
      pool.waiting.push_back(std::move(call));
    }
  }

  // Hands waiting calls the connections that came free. Iterative: a call
  // that fails at once frees its connection again, which must not recurse.
  void pump(const std::string& key) {
    if (closed_) return;
    const auto found = pools_.find(key);
    if (found == pools_.end()) return;
    Pool& pool = found->second;
    if (pool.pumping) return;
    pool.pumping = true;
    while (!closed_ && !pool.waiting.empty() &&
           (!pool.idle.empty() || pool.open < max_connections_)) {
      std::unique_ptr<Call> call = std::move(pool.waiting.front());
      pool.waiting.pop_front();
      assign(pool, std::move(call));
    }
    pool.pumping = false;
  }

  // ---------------------------------------------------------------------
  // Connecting

  void open_connection(Pool& pool, std::unique_ptr<Call> call) {
    const Endpoint& endpoint = call->endpoint;
    if (pool.addresses.empty()) pool.addresses = addresses_of(endpoint);
    if (pool.addresses.empty()) {
      return complete(std::move(call->done), detail::connect_refused(endpoint));
    }
    auto owned = std::make_unique<Connection>();
    Connection& connection = *owned;
    connection.id = next_connection_id_++;
    connection.pool_key = endpoint.host_port();
    connection.addresses = pool.addresses;
    connection.call = std::move(call);
    connections_.emplace(connection.id, std::move(owned));
    ++pool.open;
    connect_next(connection);
  }

  static std::vector<detail::SocketAddress> addresses_of(const Endpoint& endpoint) {
    if (!endpoint.is_unix_socket()) return detail::resolve_tcp(endpoint.host, endpoint.port);
    std::vector<detail::SocketAddress> addresses;
    if (auto address = detail::unix_socket_address(endpoint.socket_path())) {
      addresses.push_back(*address);
    }
    return addresses;
  }

  // Tries the addresses in turn, as httplib does: "localhost" may name ::1
  // first while the function listens on 127.0.0.1 only.
  void connect_next(Connection& connection) {
    while (connection.next_address < connection.addresses.size()) {
      const detail::ConnectStart started =
          detail::start_connect(connection.addresses[connection.next_address++]);
      if (started.fd < 0) {
        connection.last_connect_timed_out = false;
        continue;
      }
      connection.fd = started.fd;
      if (started.connected) return on_connected(connection);
      if (!watch(connection, EPOLLOUT)) {
        ::close(connection.fd);
        connection.fd = -1;
        connection.last_connect_timed_out = false;
        continue;
      }
      connection.connect_timer =
          loop_.add_timer(Clock::now() + connection.call->options.connect_timeout,
                          [weak = weak_from_this(), id = connection.id] {
                            enter(weak, [id](Core& core) { core.on_connect_timeout(id); });
                          });
      return;
    }
    // Every address failed. The name may point elsewhere by now (a function
    // restarted in another container): resolve it again next time.
    const std::string key = connection.pool_key;
    pools_[key].addresses.clear();
    std::unique_ptr<Call> call = std::move(connection.call);
    CallOutcome outcome = connection.last_connect_timed_out
                              ? detail::connect_timed_out(call->endpoint, call->options)
                              : detail::connect_refused(call->endpoint);
    close_connection(connection);
    complete(std::move(call->done), std::move(outcome));
    pump(key);
  }

  void abandon_address(Connection& connection, bool timed_out) {
    cancel_connect_timer(connection);
    unwatch(connection);
    ::close(connection.fd);
    connection.fd = -1;
    connection.last_connect_timed_out = timed_out;
    connect_next(connection);
  }

  void on_connect_ready(Connection& connection) {
    if (detail::connect_result(connection.fd) != 0) return abandon_address(connection, false);
    cancel_connect_timer(connection);
    on_connected(connection);
  }

  void on_connect_timeout(ConnectionId id) {
    Connection* connection = find(id);
    if (!connection || connection->state != Connection::State::kConnecting) return;
    connection->connect_timer = 0;
    abandon_address(*connection, true);
  }

  void on_connected(Connection& connection) {
    // Later connections go straight to the address that answered.
    auto& cached = pools_[connection.pool_key].addresses;
    const auto& address = connection.addresses[connection.next_address - 1];
    if (auto it = std::ranges::find(cached, address); it != cached.end()) {
      std::rotate(cached.begin(), it, it + 1);
    }
    connection.addresses.clear();
    begin_exchange(connection);
  }

  // ---------------------------------------------------------------------
  // One exchange: request out, response in

  void begin_exchange(Connection& connection) {
    Call& call = *connection.call;
    if (!call.deadline) call.deadline = Clock::now() + call.options.attempt_timeout;
    connection.state = Connection::State::kSending;
    connection.sent = 0;
    connection.received = 0;
    connection.parser.emplace(
        net::HttpParser::Kind::kResponse,
        net::HttpParser::Limits{.max_body_bytes = call.options.max_response_bytes,
                                .kept_error_body_bytes = detail::kErrorBodyPrefixBytes});
    connection.attempt_timer =
        loop_.add_timer(*call.deadline, [weak = weak_from_this(), id = connection.id] {
          enter(weak, [id](Core& core) { core.on_attempt_timeout(id); });
        });
    send_request(connection);
  }

  // Head and body leave in one sendmsg() when the socket buffer has room.
  void send_request(Connection& connection) {
    const Call& call = *connection.call;
    const std::size_t total = call.head.size() + call.body.size();
    while (connection.sent < total) {
      iovec parts[2];
      int count = 0;
      if (connection.sent < call.head.size()) {
        parts[count++] = {const_cast<char*>(call.head.data()) + connection.sent,
                          call.head.size() - connection.sent};
      }
      const std::size_t body_sent = connection.sent - std::min(connection.sent, call.head.size());
      if (body_sent < call.body.size()) {
        parts[count++] = {const_cast<char*>(call.body.data()) + body_sent,
                          call.body.size() - body_sent};
      }
      msghdr message{};
      message.msg_iov = parts;
      message.msg_iovlen = static_cast<std::size_t>(count);
      // MSG_NOSIGNAL: a function that reset the connection must not raise SIGPIPE.
      const ssize_t written = ::sendmsg(connection.fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (written < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          if (!watch(connection, EPOLLOUT)) return connection_lost(connection, true);
          return;
        }
        return connection_lost(connection, true);
      }
      connection.sent += static_cast<std::size_t>(written);
    }
    connection.state = Connection::State::kReceiving;
    if (!watch(connection, kReadEvents)) connection_lost(connection, false);
  }

  void on_readable(Connection& connection) {
    while (true) {
      const ssize_t got = ::recv(connection.fd, read_buffer_.data(), read_buffer_.size(), 0);
      if (got < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        return connection_lost(connection, false);
      }
      if (got == 0) return on_end_of_stream(connection);
      const auto size = static_cast<std::size_t>(got);
      connection.received += size;
      if (!consume(connection, read_buffer_.data(), size)) return;
      // A short read emptied the socket; the level-triggered loop reports more.
      if (size < read_buffer_.size()) return;
    }
  }

  // Feeds response bytes to the parser; false once the exchange is over.
  bool consume(Connection& connection, const char* data, std::size_t size) {
    net::HttpParser& parser = *connection.parser;
    std::size_t used = 0;
    while (true) {
      used += parser.feed(data + used, size - used);
      switch (parser.state()) {
        case net::HttpParser::State::kReading:
          return true;
        case net::HttpParser::State::kHeadersDone:
          if (!detail::is_success_status(parser.message().status) &&
              parser.message().body.size() >= detail::kErrorBodyPrefixBytes) {
            // Enough for the console line; the rest is not worth waiting for.
            finish_exchange(connection, false);
            return false;
          }
          return true;
        case net::HttpParser::State::kComplete:
          if (is_interim_status(parser.message().status)) {
            parser.reset();
            if (used < size) continue;
            return true;
          }
          // Bytes after the response would be read as the next call's answer.
          finish_exchange(connection, used == size && parser.message().keep_alive);
          return false;
        case net::HttpParser::State::kError:
          parse_failed(connection);
          return false;
      }
    }
  }

  void on_end_of_stream(Connection& connection) {
    net::HttpParser& parser = *connection.parser;
    parser.finish();  // completes a body delimited by the close
    if (parser.state() == net::HttpParser::State::kComplete &&
        !is_interim_status(parser.message().status)) {
      return finish_exchange(connection, false);
    }
    connection_lost(connection, false);
  }

  void finish_exchange(Connection& connection, bool reusable) {
    std::unique_ptr<Call> call = std::move(connection.call);
    CallOutcome outcome =
        classify_response(connection.parser->message(), call->endpoint, call->options);
    release(connection, reusable);
    complete(std::move(call->done), std::move(outcome));
  }

  void parse_failed(Connection& connection) {
    std::unique_ptr<Call> call = std::move(connection.call);
    const net::HttpParser& parser = *connection.parser;
    CallOutcome outcome =
        parser.too_large()
            ? detail::response_too_large(call->endpoint, call->options)
            : detail::failure(CallErrorKind::kDisconnected,
                              fmt::format("invalid HTTP response from {}: {}",
                                          call->endpoint.host_port(), parser.error()));
    release(connection, false);
    complete(std::move(call->done), std::move(outcome));
  }

  // The connection died before a full response. A kept-alive connection may
  // have been closed by the server just as the request went out: when not a
  // byte of response came, the request goes once more on a fresh connection.
  void connection_lost(Connection& connection, bool while_sending) {
    std::unique_ptr<Call> call = std::move(connection.call);
    const bool retry = connection.reused && connection.received == 0 && !call->retried;
    const std::string key = connection.pool_key;
    close_connection(connection);
    if (retry) {
      call->retried = true;
      open_connection(pools_[key], std::move(call));  // takes the slot just freed
    } else {
      complete(std::move(call->done), while_sending
                                          ? detail::closed_while_sending(call->endpoint)
                                          : detail::closed_before_response(call->endpoint));
    }
    pump(key);
  }

  void on_attempt_timeout(ConnectionId id) {
    Connection* connection = find(id);
    if (!connection || !connection->call) return;
    connection->attempt_timer = 0;
    std::unique_ptr<Call> call = std::move(connection->call);
    // A late reply would otherwise answer the next call on this connection.
    release(*connection, false);
    complete(std::move(call->done), detail::attempt_timed_out(call->endpoint, call->options));
  }

  // ---------------------------------------------------------------------
  // Connection bookkeeping

  void on_io(ConnectionId id) {
    Connection* connection = find(id);
    if (!connection) return;
    switch (connection->state) {
      case Connection::State::kConnecting:
        return on_connect_ready(*connection);
      case Connection::State::kSending:
        return send_request(*connection);
      case Connection::State::kReceiving:
        return on_readable(*connection);
      case Connection::State::kIdle:
        // The server closed it (keep-alive timeout) or sent what nobody
        // asked for: either way it cannot carry a call.
        return release(*connection, false);
    }
  }

  // Ends the exchange on `connection`: back to the idle pool, or closed.
  // Either way waiting calls of its endpoint may proceed.
  void release(Connection& connection, bool reusable) {
    const std::string key = connection.pool_key;
    if (connection.attempt_timer != 0) loop_.cancel_timer(connection.attempt_timer);
    connection.attempt_timer = 0;
    connection.parser.reset();
    if (reusable && connection.state == Connection::State::kReceiving) {
      connection.state = Connection::State::kIdle;
      connection.reused = true;
      pools_[key].idle.push_back(connection.id);
    } else {
      close_connection(connection);
    }
    pump(key);
  }

  void close_connection(Connection& connection) {
    cancel_timers(connection);
    unwatch(connection);
    if (connection.fd >= 0) ::close(connection.fd);
    Pool& pool = pools_[connection.pool_key];
    --pool.open;
    std::erase(pool.idle, connection.id);
    connections_.erase(connection.id);  // destroys `connection`
  }

  bool watch(Connection& connection, std::uint32_t events) {
    if (connection.watched == events) return true;
    const bool ok = connection.watched == 0
                        ? loop_.watch(connection.fd, events,
                                      [weak = weak_from_this(), id = connection.id](std::uint32_t) {
                                        enter(weak, [id](Core& core) { core.on_io(id); });
                                      })
                        : loop_.rewatch(connection.fd, events);
    if (ok) connection.watched = events;
    return ok;
  }

  void unwatch(Connection& connection) {
    if (connection.watched == 0) return;
    loop_.unwatch(connection.fd);
    connection.watched = 0;
  }

  void cancel_connect_timer(Connection& connection) {
    if (connection.connect_timer != 0) loop_.cancel_timer(connection.connect_timer);
    connection.connect_timer = 0;
  }

  void cancel_timers(Connection& connection) {
    cancel_connect_timer(connection);
    if (connection.attempt_timer != 0) loop_.cancel_timer(connection.attempt_timer);
    connection.attempt_timer = 0;
  }

  Connection* find(ConnectionId id) {
    const auto found = connections_.find(id);
    return found == connections_.end() ? nullptr : found->second.get();
  }

  EventLoop& loop_;
  const LoopClientOptions options_;
  const std::size_t max_connections_;
  std::vector<char> read_buffer_;  // one for all: reads never overlap on the loop thread
  std::unordered_map<ConnectionId, std::unique_ptr<Connection>> connections_;
  std::unordered_map<std::string, Pool> pools_;  // by "host:port"
  ConnectionId next_connection_id_ = 1;
  std::deque<Completion> completed_;
  int entries_ = 0;  // entries from the loop in progress (nested when `done` calls call())
  bool delivery_posted_ = false;
  bool closed_ = false;
  std::unique_ptr<FunctionClient> https_;  // made on the first https:// call
};

class LoopFunctionClient final : public FunctionClient {
 public:
  LoopFunctionClient(EventLoop& loop, LoopClientOptions options)
      : loop_(loop), core_(std::make_shared<Core>(loop, std::move(options))) {}

  ~LoopFunctionClient() override { shutdown(); }

  void call(const std::string& url, std::string body, const CallOptions& options,
            Done done) override {
    if (loop_.in_loop_thread()) {
      core_->start(url, std::move(body), options, std::move(done));
      return;
    }
    loop_.post([weak = std::weak_ptr<Core>(core_), url, body = std::move(body), options,
                done = std::move(done)]() mutable {
      Core::enter(weak,
                  [&](Core& core) { core.start(url, std::move(body), options, std::move(done)); });
    });
  }

  void shutdown() override { core_->shutdown(); }

 private:
  EventLoop& loop_;
  std::shared_ptr<Core> core_;
};

}  // namespace

std::unique_ptr<FunctionClient> make_loop_function_client(net::EventLoop& loop,
                                                          LoopClientOptions options) {
  return std::make_unique<LoopFunctionClient>(loop, std::move(options));
}

}  // namespace statefun
