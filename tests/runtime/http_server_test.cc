// net::HttpServer over real sockets on 127.0.0.1: a background thread
// drives the event loop (as the engine thread will), the tests are the
// clients, speaking raw HTTP/1.1 so every byte on the wire is under control.
#include "runtime/net/http_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "runtime/net/http_message.h"
#include "runtime/net/http_target.h"

using statefun::net::EventLoop;
using statefun::net::HttpMessage;
using statefun::net::HttpParser;
using statefun::net::HttpResponse;
using statefun::net::HttpServer;
using namespace std::chrono_literals;

namespace {

// A server on a loop that a background thread drives. The thread stops
// before the server goes away, as HttpServer's threading rules require.
struct Harness {
  explicit Harness(HttpServer::Handler handler, HttpServer::Options options = test_options()) {
    server = std::make_unique<HttpServer>(loop, std::move(options), std::move(handler));
    auto bound = server->start("127.0.0.1", 0);
    REQUIRE(bound);
    port = *bound;
    thread = std::thread([this] {
      while (!stopping) {
        loop.wait(20ms);
        loop.dispatch();
      }
    });
  }
  ~Harness() {
    stopping = true;
    loop.wake();
    thread.join();
    server.reset();
  }

  static HttpServer::Options test_options() {
    HttpServer::Options options;
    options.label = "test server";
    return options;
  }

  // Runs `fn` on the loop thread and waits for it.
  void on_loop(std::function<void()> fn) {
    std::promise<void> done;
    loop.post([&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }

  EventLoop loop;
  std::unique_ptr<HttpServer> server;
  std::atomic<bool> stopping{false};
  std::thread thread;
  int port = 0;
};

// A blocking test client with a receive timeout, so a broken server fails
// a test instead of hanging it.
class Client {
 public:
  explicit Client(int port) {
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval timeout{10, 0};
    ::setsockopt(m_fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    const int yes = 1;
    ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    m_connected = ::connect(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~Client() { close(); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return m_connected; }
  void shutdown_sending() { ::shutdown(m_fd, SHUT_WR); }
  void close() {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
  }

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Exactly `size` bytes (fewer when the connection ends first).
  std::string read_exactly(std::size_t size) {
    while (m_buffer.size() < size && fill()) {
    }
    std::string out = m_buffer.substr(0, size);
    m_buffer.erase(0, out.size());
    return out;
  }

  // The next response; nullopt when the connection ended or timed out first.
  std::optional<HttpMessage> response(bool to_head = false) {
    HttpParser parser(HttpParser::Kind::kResponse, {});
    for (;;) {
      if (to_head && parser.state() == HttpParser::State::kHeadersDone) {
        return parser.message();  // HEAD: no body follows, whatever Content-Length says
      }
      const std::size_t used = parser.feed(m_buffer.data(), m_buffer.size());
      m_buffer.erase(0, used);
      if (parser.state() == HttpParser::State::kComplete) return parser.message();
      if (parser.state() == HttpParser::State::kError) return std::nullopt;
      if (to_head && parser.state() == HttpParser::State::kHeadersDone) continue;
      if (!fill()) return std::nullopt;
    }
  }

  // True when the server closed the connection (and sent nothing more).
  bool closed_by_server() {
    if (!m_buffer.empty()) return false;
    char byte;
    const ssize_t n = ::recv(m_fd, &byte, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

 private:
  bool fill() {
    char chunk[16384];
    const ssize_t n = ::recv(m_fd, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    m_buffer.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int m_fd = -1;
  bool m_connected = false;
  std::string m_buffer;
};

std::string put(const std::string& target, const std::string& body,
                const std::string& extra_headers = "") {
  return "PUT " + target +
         " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         extra_headers + "\r\n" + body;
}

std::string get(const std::string& target, const std::string& extra_headers = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: x\r\n" + extra_headers + "\r\n";
}

// Answers "<method> <target> <body>" at once.
void echo(HttpMessage& request, HttpServer::Responder respond) {
  respond(HttpResponse{200,
                       "text/plain",
                       request.method + " " + request.target + " " + request.body,
                       {{"X-Echo", "yes"}}});
}

std::string header_or_empty(const HttpMessage& message, std::string_view name) {
  const std::string* value = message.header(name);
  return value ? *value : std::string();
}

}  // namespace

TEST_CASE("http server answers a request", "[runtime][net]") {
  Harness harness(echo);
  Client client(harness.port);
  REQUIRE(client.connected());
  REQUIRE(client.send(put("/a/b/c?x=1", "hello", "Content-Type: application/vnd.t/x\r\n")));
  auto response = client.response();
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(response->body == "PUT /a/b/c?x=1 hello");
  CHECK(header_or_empty(*response, "Content-Type") == "text/plain");
  CHECK(header_or_empty(*response, "Content-Length") == "20");
  CHECK(header_or_empty(*response, "X-Echo") == "yes");
  CHECK(response->keep_alive);
}

TEST_CASE("http server keeps a connection alive across many requests", "[runtime][net]") {
  std::atomic<int> handled{0};
  Harness harness([&](HttpMessage& request, HttpServer::Responder respond) {
    ++handled;
    echo(request, std::move(respond));
  });
  Client client(harness.port);
  for (int i = 0; i < 200; ++i) {
    REQUIRE(client.send(put("/n", std::to_string(i))));
    auto response = client.response();
    REQUIRE(response);
    CHECK(response->body == "PUT /n " + std::to_string(i));
  }
  CHECK(handled == 200);
  SECTION("an empty response still carries Content-Length: 0") {
    Harness empty([](HttpMessage&, HttpServer::Responder respond) { respond({}); });
    Client other(empty.port);
    REQUIRE(other.send(get("/")));
    auto response = other.response();
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(header_or_empty(*response, "Content-Length") == "0");
    CHECK(response->body.empty());
  }
}

TEST_CASE("http server answers pipelined requests one at a time, in order", "[runtime][net]") {
  // The first requests take longest: answers must still come in order, and
  // the handler must never see two requests of the connection at once.
  int in_progress = 0, most_in_progress = 0, seen = 0;
  Harness* self = nullptr;
  Harness harness([&](HttpMessage& request, HttpServer::Responder respond) {
    most_in_progress = std::max(most_in_progress, ++in_progress);
    const auto delay = std::chrono::milliseconds(5 * (10 - seen++));
    self->loop.add_timer(EventLoop::Clock::now() + delay, [&, respond, body = request.body]() {
      --in_progress;
      respond(HttpResponse{200, "", "re " + body, {}});
    });
  });
  self = &harness;
  Client client(harness.port);
  std::string burst;
  for (int i = 0; i < 10; ++i) burst += put("/p", std::to_string(i));
  REQUIRE(client.send(burst));
  for (int i = 0; i < 10; ++i) {
    auto response = client.response();
    REQUIRE(response);
    CHECK(response->body == "re " + std::to_string(i));
  }
  int most = 0;
  harness.on_loop([&] { most = most_in_progress; });
  CHECK(most == 1);
}

TEST_CASE("http server: a responder may answer later, from a timer or another thread",
          "[runtime][net]") {
  std::mutex mutex;
  std::vector<HttpServer::Responder> parked;
  Harness* self = nullptr;
  Harness harness([&](HttpMessage& request, HttpServer::Responder respond) {
    if (request.target == "/timer") {
      self->loop.add_timer(EventLoop::Clock::now() + 30ms, [respond] {
        respond(HttpResponse{202, "", "later", {}});
      });
    } else {
      std::lock_guard lock(mutex);
      parked.push_back(std::move(respond));
    }
  });
  self = &harness;
  Client client(harness.port);
  REQUIRE(client.send(get("/timer")));
  auto response = client.response();
  REQUIRE(response);
  CHECK(response->status == 202);
  CHECK(response->body == "later");

  REQUIRE(client.send(get("/thread")));
  while (true) {
    std::this_thread::sleep_for(5ms);
    std::lock_guard lock(mutex);
    if (!parked.empty()) break;
  }
  std::thread([&] {
    std::lock_guard lock(mutex);
    parked.front()(HttpResponse{201, "", "from a thread", {}});
    parked.front()(HttpResponse{500, "", "a second call is ignored", {}});
  }).join();
  response = client.response();
  REQUIRE(response);
  CHECK(response->status == 201);
  CHECK(response->body == "from a thread");
  // The ignored second answer must not show up before the next one.
  REQUIRE(client.send(get("/timer")));
  response = client.response();
  REQUIRE(response);
  CHECK(response->status == 202);
}

TEST_CASE("http server: a responder for a client that went away does nothing", "[runtime][net]") {
  std::mutex mutex;
  std::optional<HttpServer::Responder> parked;
  Harness harness([&](HttpMessage& request, HttpServer::Responder respond) {
    if (request.target == "/park") {
      std::lock_guard lock(mutex);
      parked = std::move(respond);
    } else {
      echo(request, std::move(respond));
    }
  });
  {
    Client client(harness.port);
    REQUIRE(client.send(get("/park")));
    while (true) {
      std::this_thread::sleep_for(5ms);
      std::lock_guard lock(mutex);
      if (parked) break;
    }
  }  // the client disconnects with its request unanswered
  std::this_thread::sleep_for(50ms);
  harness.on_loop([&] { (*parked)(HttpResponse{200, "", "nobody listens", {}}); });
  (*parked)(HttpResponse{200, "", "nor from here", {}});  // posted from this thread
  Client next(harness.port);
  REQUIRE(next.send(get("/still")));
  auto response = next.response();
  REQUIRE(response);
  CHECK(response->body == "GET /still ");
  // And after the server itself is gone: a no-op as well.
  harness.on_loop([&] { harness.server->stop(); });
  harness.on_loop([&] { (*parked)(HttpResponse{}); });
}

// The playground egress consumes a record only once its response was
// written (issue 14.6): the hook must say true only for a last byte sent.
TEST_CASE("http server: on_written says whether a response's last byte was sent",
          "[runtime][net]") {
  std::mutex mutex;
  std::vector<std::optional<HttpServer::Responder>> parked;
  auto written = std::make_shared<std::vector<std::promise<bool>>>(4);
  auto hook = [written](int i) {
    return [written, i](bool sent) { (*written)[static_cast<std::size_t>(i)].set_value(sent); };
  };
  auto result = [&](int i) {
    auto future = (*written)[static_cast<std::size_t>(i)].get_future();
    REQUIRE(future.wait_for(10s) == std::future_status::ready);  // never a hang
    return future.get();
  };
  Harness harness([&](HttpMessage& request, HttpServer::Responder respond) {
    if (request.target == "/small") {
      HttpResponse response{200, "", "payload", {}};
      response.on_written = hook(0);
      return respond(std::move(response));
    }
    if (request.target == "/huge") {
      // Far more than the socket buffers hold: the client never reads it.
      HttpResponse response{200, "", std::string(64u * 1024u * 1024u, 'x'), {}};
      response.on_written = hook(1);
      return respond(std::move(response));
    }
    std::lock_guard lock(mutex);
    parked.emplace_back(std::move(respond));
  });
  {
    Client client(harness.port);
    REQUIRE(client.send(get("/small")));
    auto response = client.response();
    REQUIRE(response);
    CHECK(response->body == "payload");
    CHECK(result(0));
  }
  {
    Client client(harness.port);
    REQUIRE(client.send(get("/huge")));
    REQUIRE(client.read_exactly(1000).size() == 1000);  // it started
  }                                                     // and closes with most of the body unsent
  CHECK_FALSE(result(1));
  {
    Client client(harness.port);
    REQUIRE(client.send(get("/park")));
    while (true) {
      std::this_thread::sleep_for(5ms);
      std::lock_guard lock(mutex);
      if (!parked.empty()) break;
    }
  }  // gone before its answer
  std::this_thread::sleep_for(50ms);
  HttpResponse late{200, "", "nobody listens", {}};
  late.on_written = hook(2);
  (*parked[0])(std::move(late));  // posted from this thread
  CHECK_FALSE(result(2));
  harness.on_loop([&] { harness.server->stop(); });
  HttpResponse after_stop{200, "", "no server", {}};
  after_stop.on_written = hook(3);
  harness.on_loop([&] { (*parked[0])(std::move(after_stop)); });
  CHECK_FALSE(result(3));
}

TEST_CASE("http server still answers a client that shut down only its sending side",
          "[runtime][net]") {
  Harness* self = nullptr;
  Harness harness([&](HttpMessage& request, HttpServer::Responder respond) {
    self->loop.add_timer(EventLoop::Clock::now() + 20ms, [respond, body = request.body] {
      respond(HttpResponse{200, "", "late " + body, {}});
    });
  });
  self = &harness;
  Client client(harness.port);
  REQUIRE(client.send(put("/h", "1") + put("/h", "2")));
  client.shutdown_sending();
  for (const std::string body : {"1", "2"}) {
    auto response = client.response();
    REQUIRE(response);
    CHECK(response->body == "late " + body);
  }
  CHECK(client.closed_by_server());
}

TEST_CASE("http server answers Expect: 100-continue before the body comes", "[runtime][net]") {
  Harness harness(echo);
  Client client(harness.port);
  REQUIRE(client.send(
      "POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  const std::string interim = "HTTP/1.1 100 Continue\r\n\r\n";
  CHECK(client.read_exactly(interim.size()) == interim);
  REQUIRE(client.send("12345"));
  auto response = client.response();
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(response->body == "POST /big 12345");
  SECTION("but not when the body came with the headers") {
    REQUIRE(client.send(put("/all", "ab", "Expect: 100-continue\r\n")));
    response = client.response();
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->body == "PUT /all ab");
  }
}

TEST_CASE("http server reads a chunked request body", "[runtime][net]") {
  Harness harness(echo);
  Client client(harness.port);
  REQUIRE(
      client.send("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "3\r\nabc\r\n"));
  std::this_thread::sleep_for(20ms);  // the rest in a later packet
  REQUIRE(client.send("4\r\ndefg\r\n0\r\n\r\n"));
  auto response = client.response();
  REQUIRE(response);
  CHECK(response->body == "POST /c abcdefg");
}

TEST_CASE("http server answers a malformed request with 400 and closes", "[runtime][net]") {
  Harness harness(echo);
  Client client(harness.port);
  REQUIRE(client.send("NONSENSE\x01 / HTTP/1.1\r\n\r\n"));
  auto response = client.response();
  REQUIRE(response);
  CHECK(response->status == 400);
  CHECK(response->body.starts_with("test server: malformed HTTP request: "));
  CHECK(response->body.ends_with("\n"));
  CHECK(response->body.find('\n') == response->body.size() - 1);  // one line
  CHECK_FALSE(response->keep_alive);
  CHECK(client.closed_by_server());
}

TEST_CASE("http server answers a body over the limit with 413 and closes", "[runtime][net]") {
  auto options = Harness::test_options();
  options.max_body_bytes = 1024;
  std::atomic<int> handled{0};
  Harness harness(
      [&](HttpMessage& request, HttpServer::Responder respond) {
        ++handled;
        echo(request, std::move(respond));
      },
      options);
  SECTION("announced by Content-Length, before any 100 Continue") {
    Client client(harness.port);
    REQUIRE(
        client.send("PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n"
                    "Expect: 100-continue\r\n\r\n"));
    auto response = client.response();
    REQUIRE(response);
    CHECK(response->status == 413);
    CHECK(response->body == "test server: request body larger than 1024 bytes\n");
    CHECK(client.closed_by_server());
  }
  SECTION("found while reading a chunked body, sent in full") {
    Client client(harness.port);
    std::string wire = "PUT /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 8; ++i) wire += "200\r\n" + std::string(512, 'z') + "\r\n";
    wire += "0\r\n\r\n";
    client.send(wire);  // may fail part-way once the server closes
    auto response = client.response();
    REQUIRE(response);
    CHECK(response->status == 413);
    CHECK(client.closed_by_server());
  }
  SECTION("a body at the limit is fine") {
    Client client(harness.port);
    REQUIRE(client.send(put("/x", std::string(1024, 'a'))));
    auto response = client.response();
    REQUIRE(response);
    CHECK(response->status == 200);
  }
  CHECK(handled <= 1);
}

TEST_CASE("http server closes after HTTP/1.0 and Connection: close", "[runtime][net]") {
  Harness harness(echo);
  SECTION("HTTP/1.0") {
    Client client(harness.port);
    REQUIRE(client.send("GET /old HTTP/1.0\r\n\r\n"));
    auto response = client.response();
    REQUIRE(response);
    CHECK(response->body == "GET /old ");
    CHECK(header_or_empty(*response, "Connection") == "close");
    CHECK(client.closed_by_server());
  }
  SECTION("HTTP/1.0 asking for keep-alive stays open") {
    Client client(harness.port);
    for (int i = 0; i < 3; ++i) {
      REQUIRE(client.send("GET /ka HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
      auto response = client.response();
      REQUIRE(response);
      CHECK(header_or_empty(*response, "Connection") == "keep-alive");
    }
  }
  SECTION("Connection: close, with a pipelined request after it that is never read") {
    Client client(harness.port);
    REQUIRE(client.send(get("/last", "Connection: close\r\n") + get("/ignored")));
    auto response = client.response();
    REQUIRE(response);
    CHECK(response->body == "GET /last ");
    CHECK(client.closed_by_server());
  }
}

TEST_CASE("http server: HEAD gets headers only, exceptions become 500", "[runtime][net]") {
  Harness harness([](HttpMessage& request, HttpServer::Responder respond) {
    if (request.target == "/throw") throw std::runtime_error("handler broke");
    echo(request, std::move(respond));
  });
  Client client(harness.port);
  REQUIRE(client.send("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto response = client.response(/*to_head=*/true);
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(header_or_empty(*response, "Content-Length") == "8");  // "HEAD /h "
  REQUIRE(client.send(get("/throw")));
  response = client.response();
  REQUIRE(response);  // proves no body bytes followed the HEAD response
  CHECK(response->status == 500);
  CHECK(response->body == "test server: handler broke\n");
}

TEST_CASE("http server serves many concurrent keep-alive clients", "[runtime][net]") {
  constexpr int kClients = 200;
  constexpr int kRequests = 50;
  Harness* self = nullptr;
  Harness harness([&](HttpMessage& request, HttpServer::Responder respond) {
    // Every other request answers from the loop later, like the ingress.
    if (request.body.back() % 2) return echo(request, std::move(respond));
    self->loop.post([respond, body = request.body] { respond(HttpResponse{200, "", body, {}}); });
  });
  self = &harness;
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      Client client(harness.port);
      if (!client.connected()) return;
      for (int i = 0; i < kRequests; ++i) {
        const std::string body = std::to_string(c) + "-" + std::to_string(i);
        if (!client.send(put("/m", body))) return;
        auto response = client.response();
        if (!response || response->status != 200) return;
        if (response->body != body && response->body != "PUT /m " + body) return;
        ++ok;
      }
    });
  }
  for (auto& t : clients) t.join();
  CHECK(ok == kClients * kRequests);
}

TEST_CASE("http server limits connections and closes idle ones", "[runtime][net]") {
  auto options = Harness::test_options();
  options.max_connections = 2;
  options.idle_timeout = 200ms;
  Harness harness(echo, options);
  Client a(harness.port), b(harness.port), c(harness.port);
  REQUIRE(a.send(get("/a")));
  REQUIRE(a.response());
  REQUIRE(b.send(get("/b")));
  REQUIRE(b.response());
  // The third waits in the backlog until an idle connection is closed.
  REQUIRE(c.send(get("/c")));
  auto response = c.response();
  REQUIRE(response);
  CHECK(response->body == "GET /c ");
  CHECK(a.closed_by_server());
  CHECK(b.closed_by_server());
}

TEST_CASE("http server stop closes connections; start names a taken port", "[runtime][net]") {
  Harness harness(echo);
  Client client(harness.port);
  REQUIRE(client.send(get("/x")));
  REQUIRE(client.response());

  EventLoop other_loop;
  auto options = Harness::test_options();
  options.label = "playground ingress";
  HttpServer second(other_loop, options, echo);
  auto taken = second.start("127.0.0.1", harness.port);
  REQUIRE_FALSE(taken);
  CHECK(taken.error().message == "port " + std::to_string(harness.port) +
                                     " (playground ingress) on 127.0.0.1 is already in use or "
                                     "cannot be bound");

  harness.on_loop([&] { harness.server->stop(); });
  CHECK(client.closed_by_server());
  Client refused(harness.port);
  CHECK_FALSE(refused.connected());
}

TEST_CASE("target_path strips the query and percent-decodes", "[runtime][net]") {
  using statefun::net::target_path;
  CHECK(target_path("/a/b/c?x=1&y") == "/a/b/c");
  CHECK(target_path("/ns/t/Alice%20B") == "/ns/t/Alice B");
  CHECK(target_path("/a%2Fb/%e2%82%ac") == "/a/b/\xe2\x82\xac");
  CHECK(target_path("/a+b/100%/%zz/%4") == "/a+b/100%/%zz/%4");
  CHECK(target_path("") == "");
}
