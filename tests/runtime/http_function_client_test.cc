// Exercises both HTTP function clients, the worker pool and the event-loop
// one, against real servers on loopback: an httplib::Server for well-formed
// exchanges and raw socket servers for the broken ones httplib's server would
// never produce. Tests named "http client" run against both clients and pin
// the behaviour they share; "worker client" and "loop client" tests cover
// what only one of them does.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "runtime/client/function_client.h"
#include "runtime/net/event_loop.h"

namespace {

using namespace std::chrono_literals;
using statefun::CallErrorKind;
using statefun::CallOptions;
using statefun::CallOutcome;
using statefun::FunctionClient;
using statefun::net::EventLoop;

// Generous: the machine running the tests is slow and shared.
constexpr auto kWaitLimit = 30s;

const std::string kOctetStream = "application/octet-stream";

enum class Transport { kWorkers, kLoop };

std::ostream& operator<<(std::ostream& out, Transport transport) {
  return out << (transport == Transport::kWorkers ? "worker client" : "loop client");
}

std::unique_ptr<FunctionClient> make_worker_client(int workers) {
  return statefun::make_http_function_client(statefun::HttpClientOptions{.workers = workers});
}

// Drives an EventLoop on a background thread, as the engine thread does.
class LoopThread {
 public:
  LoopThread()
      : thread_([this] {
          while (!stop_) {
            loop_.wait(10ms);
            loop_.dispatch();
          }
        }) {}

  ~LoopThread() {
    stop_ = true;
    loop_.wake();
    thread_.join();
  }

  EventLoop& loop() { return loop_; }

  // Runs `task` on the loop thread and waits for it; false if it never ran.
  bool run(std::function<void()> task) {
    if (loop_.in_loop_thread()) {
      task();
      return true;
    }
    auto ran = std::make_shared<std::promise<void>>();
    std::future<void> finished = ran->get_future();
    loop_.post([task = std::move(task), ran] {
      task();
      ran->set_value();
    });
    return finished.wait_for(kWaitLimit) == std::future_status::ready;
  }

 private:
  EventLoop loop_;
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: it starts using the members above at once
};

// The loop client as the tests drive it: calls come from the test thread and
// are posted to the loop; shutdown and destruction happen on the loop thread,
// as the client requires.
class LoopClientOnThread final : public FunctionClient {
 public:
  explicit LoopClientOnThread(statefun::LoopClientOptions options)
      : client_(statefun::make_loop_function_client(runner_.loop(), std::move(options))) {}

  ~LoopClientOnThread() override {
    runner_.run([this] { client_.reset(); });
  }

  void call(const std::string& url, std::string body, const CallOptions& options,
            std::function<void(CallOutcome)> done) override {
    client_->call(url, std::move(body), options, std::move(done));
  }

  void shutdown() override {
    REQUIRE(runner_.run([this] { client_->shutdown(); }));
  }

 private:
  LoopThread runner_;
  std::unique_ptr<FunctionClient> client_;
};

// `concurrency` is the number of workers, or of connections per endpoint.
std::unique_ptr<FunctionClient> make_client(Transport transport, int concurrency) {
  if (transport == Transport::kWorkers) return make_worker_client(concurrency);
  return std::make_unique<LoopClientOnThread>(
      statefun::LoopClientOptions{.max_connections_per_endpoint = concurrency});
}

CallOutcome call_and_wait(FunctionClient& client, const std::string& url, std::string body,
                          const CallOptions& options = {}) {
  auto promise = std::make_shared<std::promise<CallOutcome>>();
  std::future<CallOutcome> result = promise->get_future();
  client.call(url, std::move(body), options,
              [promise](CallOutcome outcome) { promise->set_value(std::move(outcome)); });
  REQUIRE(result.wait_for(kWaitLimit) == std::future_status::ready);
  CallOutcome outcome = result.get();
  // Shown only if a later assertion fails, to tell which error came back.
  UNSCOPED_INFO("call to " << url << ": "
                           << (outcome.ok ? "ok" : "failed: " + outcome.error.message));
  return outcome;
}

// A one-way flag threads can wait on, with a bounded wait so a failing test
// never hangs the suite.
class Latch {
 public:
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    changed_.notify_all();
  }

  bool wait(std::chrono::milliseconds limit = kWaitLimit) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, [this] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
};

// An httplib::Server on a random loopback port, listening in its own thread.
class LoopbackServer {
 public:
  LoopbackServer() {
    // httplib's default pool (8 threads) parks one thread per idle keep-alive
    // connection; more client workers than that would starve.
    server_.new_task_queue = [] { return new httplib::ThreadPool(64); };
    // The default closes every connection after 5 requests, which would hide
    // whether the client reuses its connections.
    server_.set_keep_alive_max_count(1'000'000);
    server_.set_socket_options([this](socket_t listening) { listening_socket_ = listening; });
  }

  ~LoopbackServer() {
    server_.stop();
    if (listener_.joinable()) listener_.join();
  }

  httplib::Server& http() { return server_; }

  void start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    // httplib listens with a backlog of 5. When many client workers connect
    // at once the overflow falls back to SYN cookies, some of which the kernel
    // rejects with a reset: the client would see connections die that the
    // server never accepted. Listening again only enlarges the backlog.
    REQUIRE(::listen(listening_socket_, 256) == 0);
    listener_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() does nothing until the listener runs: a test that never calls
    // the server could otherwise end, and join the listener, before it starts.
    const auto deadline = std::chrono::steady_clock::now() + kWaitLimit;
    while (!server_.is_running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(1ms);
    }
    REQUIRE(server_.is_running());
  }

  std::string url(const std::string& target = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + target;
  }

  int port() const { return port_; }

 private:
  httplib::Server server_;
  std::thread listener_;
  int listening_socket_ = -1;
  int port_ = 0;
};

void reply_octets(httplib::Response& response, const std::string& body) {
  response.set_content(body, kOctetStream.c_str());
}

struct SeenRequest {
  std::string method;
  std::string target;
  std::string body;
  httplib::Headers headers;
  int remote_port = 0;
};

std::string header_of(const SeenRequest& request, const std::string& name) {
  const auto found = request.headers.find(name);
  return found == request.headers.end() ? std::string() : found->second;
}

class RequestLog {
 public:
  void record(const httplib::Request& request) {
    std::lock_guard lock(mutex_);
    seen_.push_back(
        {request.method, request.target, request.body, request.headers, request.remote_port});
  }

  std::vector<SeenRequest> snapshot() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  std::mutex mutex_;
  std::vector<SeenRequest> seen_;
};

sockaddr_in loopback_address(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

int bound_port(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof(address);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  return ntohs(address.sin_port);
}

// A port nobody listens on: bound once to learn a free number, then released.
int closed_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address = loopback_address(0);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  const int port = bound_port(fd);
  ::close(fd);
  return port;
}

// Reads the head and a Content-Length body, so closing never resets the
// connection because of unread request bytes. False if the client closed first.
bool read_request(int connection) {
  std::string received;
  char buffer[4096];
  while (true) {
    const auto head_end = received.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      const auto at = received.find("Content-Length: ");
      const std::size_t body = at == std::string::npos ? 0 : std::stoul(received.substr(at + 16));
      if (received.size() >= head_end + 4 + body) return true;
    }
    const ssize_t n = ::recv(connection, buffer, sizeof(buffer), 0);
    if (n <= 0) return false;
    received.append(buffer, static_cast<std::size_t>(n));
  }
}

void send_all(int connection, const std::string& bytes) {
  ::send(connection, bytes.data(), bytes.size(), MSG_NOSIGNAL);
}

// A loopback listener whose thread runs `script`: a function process that
// misbehaves at the byte level, one accept() and recv() at a time.
class RawServer {
 public:
  explicit RawServer(std::function<void(RawServer&)> script) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(listen_fd_ >= 0);
    sockaddr_in address = loopback_address(0);
    REQUIRE(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    REQUIRE(::listen(listen_fd_, 4) == 0);
    port_ = bound_port(listen_fd_);
    server_ = std::thread([this, script = std::move(script)] { script(*this); });
  }

  ~RawServer() {
    ::shutdown(listen_fd_, SHUT_RDWR);  // wakes accept() if no client came
    server_.join();
    ::close(listen_fd_);
  }

  // The next connection, or -1 once the server is being destroyed.
  int accept_connection() {
    const int connection = ::accept(listen_fd_, nullptr, nullptr);
    if (connection >= 0) ++accepted_;
    return connection;
  }

  int accepted() const { return accepted_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/fn"; }

 private:
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> accepted_{0};
  std::thread server_;
};

// Accepts one connection, reads the whole request, writes `reply` verbatim
// and closes.
class OneShotRawServer : public RawServer {
 public:
  explicit OneShotRawServer(std::string reply)
      : RawServer([reply = std::move(reply)](RawServer& server) {
          const int connection = server.accept_connection();
          if (connection < 0) return;
          read_request(connection);
          send_all(connection, reply);
          ::close(connection);
        }) {}
};

// Sends `calls` calls ("0", "1", ...) at once, waits for every callback and
// checks that each ran exactly once and was echoed as "echo:<i>".
void check_each_echoed_once(FunctionClient& client, const std::string& url, int calls) {
  std::mutex mutex;
  std::condition_variable all_done;
  std::vector<int> completions(calls, 0);
  std::vector<CallOutcome> outcomes(calls);
  int completed = 0;
  for (int i = 0; i < calls; ++i) {
    client.call(url, std::to_string(i), {}, [&, i](CallOutcome outcome) {
      std::lock_guard lock(mutex);
      ++completions[i];
      outcomes[i] = std::move(outcome);
      if (++completed == calls) all_done.notify_all();
    });
  }
  std::unique_lock lock(mutex);
  REQUIRE(all_done.wait_for(lock, 60s, [&] { return completed == calls; }));
  lock.unlock();
  client.shutdown();  // no callback may still be running when the vectors go away
  for (int i = 0; i < calls; ++i) {
    CHECK(completions[i] == 1);
    INFO("call " << i << ": " << outcomes[i].error.message);
    REQUIRE(outcomes[i].ok);
    CHECK(outcomes[i].body == "echo:" + std::to_string(i));
  }
}

}  // namespace

TEST_CASE("http client sends the async transport's POST and returns the body", "[runtime]") {
  const Transport transport = GENERATE(Transport::kWorkers, Transport::kLoop);
  CAPTURE(transport);
  LoopbackServer server;
  RequestLog log;
  server.http().Post(".*", [&](const httplib::Request& request, httplib::Response& response) {
    log.record(request);
    reply_octets(response, std::string("\0\x01reply\0", 8));
  });
  server.start();
  auto client = make_client(transport, 2);
  const std::string body("\0\x01\x02payload\0with\0nuls", 21);

  const CallOutcome outcome = call_and_wait(*client, server.url("/fn/greeter?x=1"), body);

  REQUIRE(outcome.ok);
  CHECK(outcome.body == std::string("\0\x01reply\0", 8));
  const std::vector<SeenRequest> seen = log.snapshot();
  REQUIRE(seen.size() == 1);
  const SeenRequest& request = seen.front();
  CHECK(request.method == "POST");
  CHECK(request.target == "/fn/greeter?x=1");
  CHECK(request.body == body);
  CHECK(request.headers.count("Content-Type") == 1);
  CHECK(header_of(request, "Content-Type") == kOctetStream);
  CHECK(header_of(request, "Accept") == kOctetStream);
  CHECK(header_of(request, "Accept-Encoding") == "gzip,deflate");
  CHECK(header_of(request, "Connection") == "keep-alive");
  CHECK(header_of(request, "User-Agent") == "statefun");
  CHECK(header_of(request, "Host") == "127.0.0.1:" + std::to_string(server.port()));
  CHECK(header_of(request, "Content-Length") == std::to_string(body.size()));
  CHECK(request.headers.count("Transfer-Encoding") == 0);
}

TEST_CASE("http client posts to / when the URL has no path", "[runtime]") {
  const Transport transport = GENERATE(Transport::kWorkers, Transport::kLoop);
  CAPTURE(transport);
  LoopbackServer server;
  RequestLog log;
  server.http().Post(".*", [&](const httplib::Request& request, httplib::Response& response) {
    log.record(request);
    reply_octets(response, "x");
  });
  server.start();
  auto client = make_client(transport, 1);

  REQUIRE(call_and_wait(*client, "http://127.0.0.1:" + std::to_string(server.port()), "b").ok);
  REQUIRE(
      call_and_wait(*client, "HTTP://127.0.0.1:" + std::to_string(server.port()) + "?q", "b").ok);

  const std::vector<SeenRequest> seen = log.snapshot();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].target == "/");
  CHECK(seen[1].target == "/?q");
}

TEST_CASE("worker client reuses one keep-alive connection per worker", "[runtime]") {
  LoopbackServer server;
  RequestLog log;
  server.http().Post(".*", [&](const httplib::Request& request, httplib::Response& response) {
    log.record(request);
    reply_octets(response, request.body);
  });
  server.start();
  auto client = make_worker_client(1);

  for (int i = 0; i < 20; ++i) {
    const CallOutcome outcome = call_and_wait(*client, server.url("/fn"), std::to_string(i));
    REQUIRE(outcome.ok);
    CHECK(outcome.body == std::to_string(i));
  }

  std::set<int> remote_ports;
  for (const SeenRequest& request : log.snapshot()) remote_ports.insert(request.remote_port);
  CHECK(remote_ports.size() == 1);
}

TEST_CASE("http client reconnects after the server closed an idle connection", "[runtime]") {
  const Transport transport = GENERATE(Transport::kWorkers, Transport::kLoop);
  CAPTURE(transport);
  LoopbackServer server;
  server.http().set_keep_alive_timeout(1);
  server.http().Post(".*", [](const httplib::Request&, httplib::Response& response) {
    reply_octets(response, "fine");
  });
  server.start();
  auto client = make_client(transport, 1);

  REQUIRE(call_and_wait(*client, server.url("/fn"), "a").ok);
  std::this_thread::sleep_for(1500ms);  // past the server's keep-alive timeout
  const CallOutcome outcome = call_and_wait(*client, server.url("/fn"), "b");

  REQUIRE(outcome.ok);
  CHECK(outcome.body == "fine");
}

TEST_CASE("http client reports non-2xx statuses with the body's first line", "[runtime]") {
  const Transport transport = GENERATE(Transport::kWorkers, Transport::kLoop);
  CAPTURE(transport);
  LoopbackServer server;
  server.http().Post("/plain", [](const httplib::Request&, httplib::Response& response) {
    response.status = 500;
    response.set_content("unknown function type example/greeter\nstack trace...", "text/plain");
  });
  server.http().Post("/empty", [](const httplib::Request&, httplib::Response& response) {
    response.status = 500;
    reply_octets(response, "");
  });
  server.http().Post("/huge", [](const httplib::Request&, httplib::Response& response) {
    response.status = 503;
    response.set_content(std::string(200'000, 'x'), "text/html");
  });
  server.start();
  auto client = make_client(transport, 1);

  SECTION("the first line of the body") {
    const CallOutcome outcome = call_and_wait(*client, server.url("/plain"), "b");
    REQUIRE_FALSE(outcome.ok);
    CHECK(outcome.error.kind == CallErrorKind::kHttpStatus);
    CHECK(outcome.error.http_status == 500);
    CHECK(outcome.error.message == "HTTP 500: unknown function type example/greeter");
    // The body itself is kept too (its first KB), for the console and status.
    CHECK(outcome.error.body == "unknown function type example/greeter\nstack trace...");
  }
  SECTION("the reason phrase when the body is empty") {
    const CallOutcome outcome = call_and_wait(*client, server.url("/empty"), "b");
    REQUIRE_FALSE(outcome.ok);
    CHECK(outcome.error.kind == CallErrorKind::kHttpStatus);
    CHECK(outcome.error.http_status == 500);
    CHECK(outcome.error.message == "HTTP 500: Internal Server Error");
  }
  SECTION("a bounded message for a huge error body") {
    const CallOutcome outcome = call_and_wait(*client, server.url("/huge"), "b");
    REQUIRE_FALSE(outcome.ok);
    CHECK(outcome.error.kind == CallErrorKind::kHttpStatus);
    CHECK(outcome.error.http_status == 503);
    CHECK(outcome.error.message.size() < 250);
    CHECK(outcome.error.body == std::string(statefun::kErrorBodyExcerptBytes, 'x'));
  }
  // The connection stays usable after every kind of error response.
  CHECK(call_and_wait(*client, server.url("/plain"), "b").error.http_status == 500);
}

TEST_CASE("http client accepts only application/octet-stream responses", "[runtime]") {
  const Transport transport = GENERATE(Transport::kWorkers, Transport::kLoop);
  CAPTURE(transport);
  LoopbackServer server;
  std::string content_type;
  server.http().Post(".*", [&](const httplib::Request&, httplib::Response& response) {
    response.set_content("body", content_type.c_str());
  });
  server.start();
  auto client = make_client(transport, 1);

  SECTION("exact and case-insensitive matches pass") {
    content_type = GENERATE("application/octet-stream", "Application/Octet-Stream");
    const CallOutcome outcome = call_and_wait(*client, server.url("/fn"), "b");
    REQUIRE(outcome.ok);
    CHECK(outcome.body == "body");
  }
  SECTION("other types, and parameters, fail as in the async transport") {
    content_type =
        GENERATE("text/plain", "application/octet-stream; charset=utf-8", "application/json");
    const CallOutcome outcome = call_and_wait(*client, server.url("/fn"), "b");
    REQUIRE_FALSE(outcome.ok);
    CHECK(outcome.error.kind == CallErrorKind::kBadContentType);
    CHECK(outcome.error.message.find(content_type) != std::string::npos);
  }
}

TEST_CASE("http client treats an empty octet-stream body as an ok empty response", "[runtime]") {
  const Transport transport = GENERATE(Transport::kWorkers, Transport::kLoop);
  CAPTURE(transport);
  LoopbackServer server;
  server.http().Post(".*", [](const httplib::Request&, httplib::Response& response) {
    reply_octets(response, "");
  });
  server.start();
  auto client = make_client(transport, 1);

  const CallOutcome outcome = call_and_wait(*client, server.url("/fn"), "b");

  REQUIRE(outcome.ok);
  CHECK(outcome.body.empty());
}

TEST_CASE("http client rejects 2xx responses without a Content-Type", "[runtime]") {
  const Transport transport = GENERATE(Transport::kWorkers, Transport::kLoop);
  CAPTURE(transport);
  SECTION("with a body") {
    OneShotRawServer server("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc");
    auto client = make_client(transport, 1);
    const CallOutcome outcome = call_and_wait(*client, server.url(), "b");
    REQUIRE_FALSE(outcome.ok);
    CHECK(outcome.error.kind == CallErrorKind::kBadContentType);
  }
  SECTION("empty, like the playground Java handler's failure reply") {
    // The async transport retries this reply (docs/sdk-behaviour.md, "Errors"); taking it
    // as "no effects" would silently drop the batch.
    OneShotRawServer server("HTTP/1.1 200 OK\r\nStatus: 500\r\nContent-Length: 0\r\n\r\n");
    auto client = make_client(transport, 1);
    const CallOutcome outcome = call_and_wait(*client, server.url(), "b");
    REQUIRE_FALSE(outcome.ok);
    CHECK(outcome.error.kind == CallErrorKind::kBadContentType);
  }
}

TEST_CASE("http client reads a body delimited by the connection closing", "[runtime]") {
  const Transport transport = GENERATE(Transport::kWorkers, Transport::kLoop);
  CAPTURE(transport);
  OneShotRawServer server(
      "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n"
      "abc");
  auto client = make_client(transport, 1);

  const CallOutcome outcome = call_and_wait(*client, server.url(), "b");

  REQUIRE(outcome.ok);
  CHECK(outcome.body == "abc");
}

TEST_CASE("http client reports a refused connection", "[runtime]") {
  const Transport transport = GENERATE(Transport::kWorkers, Transport::kLoop);
  CAPTURE(transport);
  auto client = make_client(transport, 1);
  const int port = closed_loopback_port();

  const CallOutcome outcome =
      call_and_wait(*client, "http://127.0.0.1:" + std::to_string(port) + "/fn", "b");

  REQUIRE_FALSE(outcome.ok);
  CHECK(outcome.error.kind == CallErrorKind::kConnect);
  CHECK(outcome.error.message == "could not connect to 127.0.0.1:" + std::to_string(port) +
                                     " (connection refused, host unreachable or unknown)");
}

TEST_CASE("http client times out a slow function and reconnects afterwards", "[runtime]") {
  const Transport transport = GENERATE(Transport::kWorkers, Transport::kLoop);
  CAPTURE(transport);
  LoopbackServer server;
  auto release_slow_reply = std::make_shared<Latch>();
  RequestLog log;
  server.http().Post(".*", [&log, release_slow_reply](const httplib::Request& request,
                                                      httplib::Response& response) {
    log.record(request);
    if (request.body == "slow") {
      release_slow_reply->wait(10s);
      reply_octets(response, "late");
    } else {
      reply_octets(response, "fresh");
    }
  });
  server.start();
  auto client = make_client(transport, 1);
  CallOptions impatient;
  impatient.attempt_timeout = 300ms;

  const CallOutcome slow = call_and_wait(*client, server.url("/fn"), "slow", impatient);
  const CallOutcome next = call_and_wait(*client, server.url("/fn"), "quick");
  release_slow_reply->open();

  REQUIRE_FALSE(slow.ok);
  CHECK(slow.error.kind == CallErrorKind::kTimeout);
  CHECK(slow.error.message ==
        "no complete response from 127.0.0.1:" + std::to_string(server.port()) + " within 300 ms");
  // A reused connection could deliver the late reply to the next call.
  REQUIRE(next.ok);
  CHECK(next.body == "fresh");
  const std::vector<SeenRequest> seen = log.snapshot();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].remote_port != seen[1].remote_port);
}

TEST_CASE("http client reports a connection closed before a full response", "[runtime]") {
  const Transport transport = GENERATE(Transport::kWorkers, Transport::kLoop);
  CAPTURE(transport);
  auto client = make_client(transport, 1);

  SECTION("no response at all") {
    OneShotRawServer server("");
    const CallOutcome outcome = call_and_wait(*client, server.url(), "b");
    REQUIRE_FALSE(outcome.ok);
    CHECK(outcome.error.kind == CallErrorKind::kDisconnected);
    CHECK(outcome.error.message.ends_with("closed before a full response"));
  }
  SECTION("a truncated body") {
    OneShotRawServer server(
        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 100\r\n"
        "\r\nabc");
    const CallOutcome outcome = call_and_wait(*client, server.url(), "b");
    REQUIRE_FALSE(outcome.ok);
    CHECK(outcome.error.kind == CallErrorKind::kDisconnected);
    CHECK(outcome.error.message.ends_with("closed before a full response"));
  }
  SECTION("a garbled status line") {
    OneShotRawServer server("garbage\r\n\r\n");
    const CallOutcome outcome = call_and_wait(*client, server.url(), "b");
    REQUIRE_FALSE(outcome.ok);
    CHECK_FALSE(outcome.error.message.empty());
  }
}

TEST_CASE("http client enforces max_response_bytes", "[runtime]") {
  const Transport transport = GENERATE(Transport::kWorkers, Transport::kLoop);
  CAPTURE(transport);
  LoopbackServer server;
  server.http().Post("/sized/(\\d+)",
                     [](const httplib::Request& request, httplib::Response& response) {
                       reply_octets(response, std::string(std::stoul(request.matches[1]), 'x'));
                     });
  server.http().Post("/chunked", [](const httplib::Request&, httplib::Response& response) {
    response.set_chunked_content_provider(kOctetStream.c_str(),
                                          [](std::size_t offset, httplib::DataSink& sink) {
                                            if (offset >= 1800) {
                                              sink.done();
                                            } else {
                                              sink.write(std::string(600, 'y').data(), 600);
                                            }
                                            return true;
                                          });
  });
  server.start();
  auto client = make_client(transport, 1);
  CallOptions limited;
  limited.max_response_bytes = 1000;

  SECTION("a body of exactly the limit passes") {
    const CallOutcome outcome = call_and_wait(*client, server.url("/sized/1000"), "b", limited);
    REQUIRE(outcome.ok);
    CHECK(outcome.body.size() == 1000);
  }
  SECTION("a declared length over the limit fails") {
    const CallOutcome outcome = call_and_wait(*client, server.url("/sized/1001"), "b", limited);
    REQUIRE_FALSE(outcome.ok);
    CHECK(outcome.error.kind == CallErrorKind::kTooLarge);
    CHECK(outcome.error.message == "response from 127.0.0.1:" + std::to_string(server.port()) +
                                       " is larger than 1000 bytes");
  }
  SECTION("a chunked body growing over the limit fails") {
    const CallOutcome outcome = call_and_wait(*client, server.url("/chunked"), "b", limited);
    REQUIRE_FALSE(outcome.ok);
    CHECK(outcome.error.kind == CallErrorKind::kTooLarge);
  }
  // The oversized reply is abandoned mid-body; the next call must not read it.
  const CallOutcome after = call_and_wait(*client, server.url("/sized/3"), "b", limited);
  REQUIRE(after.ok);
  CHECK(after.body == "xxx");
}

TEST_CASE("http client rejects URLs it cannot call", "[runtime]") {
  const Transport transport = GENERATE(Transport::kWorkers, Transport::kLoop);
  CAPTURE(transport);
  auto client = make_client(transport, 1);
  const std::string url =
      GENERATE("ftp://example.com/fn", "https+unix:///tmp/f.sock/fn", "http://", "http://:8000/fn",
               "http://host:99999/fn", "http://host:80x/fn", "example.com/fn", "http://[::1/fn",
               "http://user:secret@example.com/fn", "http://exa mple.com/");

  const CallOutcome outcome = call_and_wait(*client, url, "b");

  REQUIRE_FALSE(outcome.ok);
  CHECK(outcome.error.kind == CallErrorKind::kBadUrl);
  CHECK_FALSE(outcome.error.message.empty());
  CHECK(outcome.error.message.find("secret") == std::string::npos);
}

TEST_CASE("http client fails https against a plain http server", "[runtime]") {
  const Transport transport = GENERATE(Transport::kWorkers, Transport::kLoop);
  CAPTURE(transport);
  LoopbackServer server;
  server.http().Post(".*", [](const httplib::Request&, httplib::Response& response) {
    reply_octets(response, "x");
  });
  server.start();
  auto client = make_client(transport, 1);

  const CallOutcome outcome =
      call_and_wait(*client, "https://127.0.0.1:" + std::to_string(server.port()) + "/fn", "b");

  REQUIRE_FALSE(outcome.ok);
  CHECK_FALSE(outcome.error.message.empty());
}

TEST_CASE("http client completes many concurrent calls exactly once each", "[runtime]") {
  const Transport transport = GENERATE(Transport::kWorkers, Transport::kLoop);
  CAPTURE(transport);
  LoopbackServer server;
  server.http().Post(".*", [](const httplib::Request& request, httplib::Response& response) {
    reply_octets(response, "echo:" + request.body);
  });
  server.start();
  auto client = make_client(transport, 16);
  check_each_echoed_once(*client, server.url("/fn"), 200);
}

TEST_CASE("worker client shutdown finishes running calls and drops queued ones", "[runtime]") {
  LoopbackServer server;
  auto request_arrived = std::make_shared<Latch>();
  auto release_reply = std::make_shared<Latch>();
  server.http().Post(
      ".*", [request_arrived, release_reply](const httplib::Request&, httplib::Response& response) {
        request_arrived->open();
        release_reply->wait(10s);
        reply_octets(response, "x");
      });
  server.start();
  auto client = make_worker_client(1);
  // The first call must still be running when shutdown() closes the queue,
  // or the worker takes the next one; 500 ms was too short under
  // ThreadSanitizer on a loaded machine.
  CallOptions impatient;
  impatient.attempt_timeout = 2s;

  std::atomic<int> callbacks{0};
  std::atomic<bool> shutdown_returned{false};
  std::atomic<int> callbacks_after_shutdown{0};
  auto count_callback = [&](CallOutcome) {
    ++callbacks;
    if (shutdown_returned) ++callbacks_after_shutdown;
  };
  for (int i = 0; i < 10; ++i) client->call(server.url("/fn"), "b", impatient, count_callback);
  REQUIRE(request_arrived->wait());

  client->shutdown();  // waits for the running call, which times out
  shutdown_returned = true;
  CHECK(callbacks == 1);
  client->call(server.url("/fn"), "b", impatient, count_callback);
  client->shutdown();  // idempotent
  std::this_thread::sleep_for(200ms);
  release_reply->open();

  CHECK(callbacks == 1);
  CHECK(callbacks_after_shutdown == 0);
}

TEST_CASE("worker client survives shutdown and destruction from its own callback", "[runtime]") {
  LoopbackServer server;
  server.http().Post(".*", [](const httplib::Request&, httplib::Response& response) {
    reply_octets(response, "x");
  });
  server.start();
  std::unique_ptr<FunctionClient> client = make_worker_client(2);
  std::promise<bool> finished;

  client->call(server.url("/fn"), "b", {}, [&](CallOutcome outcome) {
    client->shutdown();
    client.reset();
    finished.set_value(outcome.ok);
  });

  std::future<bool> result = finished.get_future();
  REQUIRE(result.wait_for(kWaitLimit) == std::future_status::ready);
  CHECK(result.get());
}

namespace {

std::string octet_reply(const std::string& body, const std::string& extra_headers = "") {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n" + extra_headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

TEST_CASE("http client decodes gzip and deflate response bodies", "[runtime]") {
  const Transport transport = GENERATE(Transport::kWorkers, Transport::kLoop);
  CAPTURE(transport);
  auto client = make_client(transport, 1);
  // The bytes of gzip.compress(b"hello gzip") and zlib.compress(b"hello deflate").
  const std::string gzip_body(
      "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xcb\x48\xcd\xc9\xc9\x57\x48\xaf\xca\x2c\x00\x00"
      "\x19\x6a\xd2\xdf\x0a\x00\x00\x00",
      30);
  const std::string deflate_body(
      "\x78\x9c\xcb\x48\xcd\xc9\xc9\x57\x48\x49\x4d\xcb\x49\x2c\x49\x05\x00\x23\x0c\x05\x0a", 21);

  SECTION("gzip") {
    OneShotRawServer server(octet_reply(gzip_body, "Content-Encoding: gzip\r\n"));
    const CallOutcome outcome = call_and_wait(*client, server.url(), "b");
    REQUIRE(outcome.ok);
    CHECK(outcome.body == "hello gzip");
  }
  SECTION("deflate") {
    OneShotRawServer server(octet_reply(deflate_body, "Content-Encoding: deflate\r\n"));
    const CallOutcome outcome = call_and_wait(*client, server.url(), "b");
    REQUIRE(outcome.ok);
    CHECK(outcome.body == "hello deflate");
  }
  SECTION("a body that inflates past max_response_bytes") {
    // gzip.compress(b"a" * 2000): 35 bytes on the wire.
    const std::string bomb(
        "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\x4b\x4c\x1c\x05\xa3\x60\x14\x8c\x82\x51\x30"
        "\x0a\x46\xc1\x50\x07\x00\x39\x3e\x13\xa8\xd0\x07\x00\x00",
        35);
    OneShotRawServer server(octet_reply(bomb, "Content-Encoding: gzip\r\n"));
    CallOptions limited;
    limited.max_response_bytes = 1000;
    const CallOutcome outcome = call_and_wait(*client, server.url(), "b", limited);
    REQUIRE_FALSE(outcome.ok);
    CHECK(outcome.error.kind == CallErrorKind::kTooLarge);
  }
}

TEST_CASE("http client accepts calls made from inside its callbacks", "[runtime]") {
  const Transport transport = GENERATE(Transport::kWorkers, Transport::kLoop);
  CAPTURE(transport);
  LoopbackServer server;
  server.http().Post(".*", [](const httplib::Request& request, httplib::Response& response) {
    reply_octets(response, "echo:" + request.body);
  });
  server.start();
  auto client = make_client(transport, 1);
  constexpr int kChain = 5;
  std::vector<std::string> bodies;  // written by one callback at a time
  std::promise<void> finished;

  std::function<void(int)> call_next = [&](int i) {
    client->call(server.url("/fn"), std::to_string(i), {}, [&, i](CallOutcome outcome) {
      bodies.push_back(outcome.ok ? outcome.body : outcome.error.message);
      if (i + 1 < kChain) {
        call_next(i + 1);
      } else {
        finished.set_value();
      }
    });
  };
  call_next(0);

  REQUIRE(finished.get_future().wait_for(kWaitLimit) == std::future_status::ready);
  client->shutdown();
  REQUIRE(bodies.size() == kChain);
  for (int i = 0; i < kChain; ++i) CHECK(bodies[i] == "echo:" + std::to_string(i));
}

TEST_CASE("loop client reuses an idle connection and opens more for concurrent calls",
          "[runtime]") {
  LoopbackServer server;
  RequestLog log;
  std::atomic<int> together{0};
  auto all_together = std::make_shared<Latch>();
  server.http().Post(".*", [&log, &together, all_together](const httplib::Request& request,
                                                           httplib::Response& response) {
    log.record(request);
    if (request.body == "together") {
      // Answers only once all four are in: they must be on four connections.
      if (++together == 4) all_together->open();
      all_together->wait(10s);
    }
    reply_octets(response, request.body);
  });
  server.start();
  auto client = make_client(Transport::kLoop, 8);

  for (int i = 0; i < 10; ++i) REQUIRE(call_and_wait(*client, server.url("/fn"), "one").ok);
  std::vector<std::future<CallOutcome>> concurrent;
  for (int i = 0; i < 4; ++i) {
    auto promise = std::make_shared<std::promise<CallOutcome>>();
    concurrent.push_back(promise->get_future());
    client->call(server.url("/fn"), "together", {},
                 [promise](CallOutcome outcome) { promise->set_value(std::move(outcome)); });
  }
  for (auto& result : concurrent) {
    REQUIRE(result.wait_for(kWaitLimit) == std::future_status::ready);
    CHECK(result.get().ok);
  }

  const std::vector<SeenRequest> seen = log.snapshot();
  REQUIRE(seen.size() == 14);
  std::set<int> sequential_ports;
  std::set<int> concurrent_ports;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    (i < 10 ? sequential_ports : concurrent_ports).insert(seen[i].remote_port);
  }
  CHECK(sequential_ports.size() == 1);
  CHECK(concurrent_ports.size() == 4);
}

TEST_CASE("loop client resends once when a reused connection turns out dead", "[runtime]") {
  // The server keeps the first connection open after answering, then lets
  // the next request on it die unanswered, as a function process does when
  // its keep-alive timeout races the request.
  std::atomic<int> requests{0};
  auto serve = [&requests](bool answer_the_resend) {
    return [&requests, answer_the_resend](RawServer& server) {
      const int first = server.accept_connection();
      if (first < 0) return;
      if (read_request(first)) {
        ++requests;
        send_all(first, octet_reply("first"));
      }
      if (read_request(first)) ++requests;
      ::close(first);
      const int second = server.accept_connection();
      if (second < 0) return;
      if (read_request(second)) {
        ++requests;
        if (answer_the_resend) send_all(second, octet_reply("second"));
      }
      ::close(second);
    };
  };
  auto client = make_client(Transport::kLoop, 1);

  SECTION("the resend on a fresh connection succeeds") {
    RawServer server(serve(true));
    REQUIRE(call_and_wait(*client, server.url(), "a").body == "first");
    const CallOutcome outcome = call_and_wait(*client, server.url(), "b");
    REQUIRE(outcome.ok);
    CHECK(outcome.body == "second");
    CHECK(requests == 3);
    CHECK(server.accepted() == 2);
  }
  SECTION("a fresh connection that dies too fails the call") {
    RawServer server(serve(false));
    REQUIRE(call_and_wait(*client, server.url(), "a").body == "first");
    const CallOutcome outcome = call_and_wait(*client, server.url(), "b");
    REQUIRE_FALSE(outcome.ok);
    CHECK(outcome.error.kind == CallErrorKind::kDisconnected);
    CHECK(outcome.error.message.ends_with("closed before a full response"));
    CHECK(requests == 3);
  }
}

TEST_CASE("loop client completes many concurrent calls to a slow server exactly once each",
          "[runtime]") {
  LoopbackServer server;
  // How many requests the server held at once: calls made one after
  // another would never overlap.
  std::mutex mutex;
  int in_flight = 0, most_in_flight = 0;
  server.http().Post(".*", [&](const httplib::Request& request, httplib::Response& response) {
    {
      std::lock_guard lock(mutex);
      most_in_flight = std::max(most_in_flight, ++in_flight);
    }
    std::this_thread::sleep_for(200ms);
    {
      std::lock_guard lock(mutex);
      --in_flight;
    }
    reply_octets(response, "echo:" + request.body);
  });
  server.start();
  auto client = make_client(Transport::kLoop, 64);
  check_each_echoed_once(*client, server.url("/fn"), 48);
  std::lock_guard lock(mutex);
  CHECK(most_in_flight > 1);
}

TEST_CASE("loop client times out one call while calls on other connections proceed", "[runtime]") {
  LoopbackServer server;
  auto release_slow_reply = std::make_shared<Latch>();
  server.http().Post(
      ".*", [release_slow_reply](const httplib::Request& request, httplib::Response& response) {
        if (request.body == "slow") release_slow_reply->wait(10s);
        reply_octets(response, request.body);
      });
  server.start();
  auto client = make_client(Transport::kLoop, 4);
  CallOptions impatient;
  impatient.attempt_timeout = 500ms;

  auto slow_result = std::make_shared<std::promise<CallOutcome>>();
  std::future<CallOutcome> slow_future = slow_result->get_future();
  const auto started = std::chrono::steady_clock::now();
  client->call(server.url("/fn"), "slow", impatient,
               [slow_result](CallOutcome outcome) { slow_result->set_value(std::move(outcome)); });
  int fast_calls = 0;
  while (slow_future.wait_for(0ms) != std::future_status::ready &&
         std::chrono::steady_clock::now() - started < kWaitLimit) {
    const CallOutcome fast = call_and_wait(*client, server.url("/fn"), "fast");
    REQUIRE(fast.ok);
    ++fast_calls;
  }
  REQUIRE(slow_future.wait_for(0ms) == std::future_status::ready);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  const CallOutcome slow = slow_future.get();
  release_slow_reply->open();

  REQUIRE_FALSE(slow.ok);
  CHECK(slow.error.kind == CallErrorKind::kTimeout);
  CHECK(elapsed >= 500ms);
  CHECK(elapsed < 10s);
  CHECK(fast_calls >= 3);
}

TEST_CASE("loop client runs every callback on the loop thread, never inside call()", "[runtime]") {
  LoopbackServer server;
  server.http().Post(".*", [](const httplib::Request&, httplib::Response& response) {
    reply_octets(response, "x");
  });
  server.start();
  LoopThread runner;
  std::unique_ptr<FunctionClient> client =
      statefun::make_loop_function_client(runner.loop(), statefun::LoopClientOptions{});
  const std::string port = std::to_string(server.port());
  const std::string url = GENERATE_COPY(
      values<std::string>({"http://127.0.0.1:" + port + "/fn",
                           "http://127.0.0.1:" + std::to_string(closed_loopback_port()) + "/fn",
                           "ftp://example.com/fn", "https://127.0.0.1:" + port + "/fn"}));
  CAPTURE(url);

  SECTION("called from another thread") {
    auto on_loop = std::make_shared<std::promise<bool>>();
    client->call(url, "b", {}, [&loop = runner.loop(), on_loop](CallOutcome) {
      on_loop->set_value(loop.in_loop_thread());
    });
    std::future<bool> result = on_loop->get_future();
    REQUIRE(result.wait_for(kWaitLimit) == std::future_status::ready);
    CHECK(result.get());
  }
  SECTION("called on the loop thread") {
    auto inside_call = std::make_shared<std::promise<bool>>();
    REQUIRE(runner.run([&] {
      auto calling = std::make_shared<bool>(true);
      client->call(url, "b", {},
                   [calling, inside_call](CallOutcome) { inside_call->set_value(*calling); });
      *calling = false;
    }));
    std::future<bool> result = inside_call->get_future();
    REQUIRE(result.wait_for(kWaitLimit) == std::future_status::ready);
    CHECK_FALSE(result.get());
  }
  REQUIRE(runner.run([&] { client.reset(); }));
}

TEST_CASE("loop client shutdown abandons running and waiting calls", "[runtime]") {
  LoopbackServer server;
  auto request_arrived = std::make_shared<Latch>();
  auto release_reply = std::make_shared<Latch>();
  server.http().Post(
      ".*", [request_arrived, release_reply](const httplib::Request&, httplib::Response& response) {
        request_arrived->open();
        release_reply->wait(10s);
        reply_octets(response, "x");
      });
  server.start();
  auto client = make_client(Transport::kLoop, 1);

  std::atomic<int> callbacks{0};
  auto count_callback = [&](CallOutcome) { ++callbacks; };
  // One connection: the first call runs, the others wait for it.
  for (int i = 0; i < 3; ++i) client->call(server.url("/fn"), "b", {}, count_callback);
  REQUIRE(request_arrived->wait());

  client->shutdown();
  client->call(server.url("/fn"), "b", {}, count_callback);
  client->call("ftp://example.com/fn", "b", {}, count_callback);
  client->shutdown();  // idempotent
  release_reply->open();
  std::this_thread::sleep_for(200ms);

  CHECK(callbacks == 0);
}

TEST_CASE("loop client survives shutdown and destruction from its own callback", "[runtime]") {
  LoopbackServer server;
  server.http().Post(".*", [](const httplib::Request&, httplib::Response& response) {
    reply_octets(response, "x");
  });
  server.start();
  LoopThread runner;
  std::unique_ptr<FunctionClient> client =
      statefun::make_loop_function_client(runner.loop(), statefun::LoopClientOptions{});

  SECTION("from the callback of a response") {
    std::promise<bool> finished;
    client->call(server.url("/fn"), "b", {}, [&](CallOutcome outcome) {
      client->shutdown();
      client.reset();
      finished.set_value(outcome.ok);
    });
    std::future<bool> result = finished.get_future();
    REQUIRE(result.wait_for(kWaitLimit) == std::future_status::ready);
    CHECK(result.get());
  }
  SECTION("with more callbacks due in the same turn") {
    std::atomic<int> callbacks{0};
    REQUIRE(runner.run([&] {
      for (int i = 0; i < 3; ++i) {
        client->call("ftp://example.com/fn", "b", {}, [&](CallOutcome) {
          ++callbacks;
          client.reset();
        });
      }
    }));
    REQUIRE(runner.run([] {}));  // the turn that delivered them is over
    CHECK(callbacks == 1);
  }
  REQUIRE(runner.run([&] { client.reset(); }));
}
