// The event loop and the incremental HTTP parser under runtime/net.
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "runtime/net/event_loop.h"
#include "runtime/net/http_message.h"

using statefun::net::EventLoop;
using statefun::net::HttpParser;

namespace {

HttpParser request_parser() { return HttpParser(HttpParser::Kind::kRequest, {}); }

// Feeds `text` one byte at a time, as a slow peer would send it.
std::size_t feed_bytewise(HttpParser& parser, const std::string& text) {
  std::size_t used = 0;
  while (used < text.size() && parser.state() != HttpParser::State::kComplete &&
         parser.state() != HttpParser::State::kError) {
    used += parser.feed(text.data() + used, 1);
  }
  return used;
}

}  // namespace

TEST_CASE("http parser reads a request and stops at its end", "[runtime][net]") {
  auto parser = request_parser();
  const std::string first =
      "PUT /ns/type/id HTTP/1.1\r\nContent-Type: application/vnd.a/b\r\n"
      "content-length: 5\r\n\r\nhello";
  const std::string second = "GET /x HTTP/1.1\r\n\r\n";
  const std::string wire = first + second;
  const std::size_t used = parser.feed(wire.data(), wire.size());
  REQUIRE(parser.state() == HttpParser::State::kComplete);
  CHECK(used == first.size());
  auto& m = parser.message();
  CHECK(m.method == "PUT");
  CHECK(m.target == "/ns/type/id");
  CHECK(m.body == "hello");
  REQUIRE(m.header("CONTENT-TYPE"));
  CHECK(*m.header("content-type") == "application/vnd.a/b");
  CHECK(m.keep_alive);
  parser.reset();
  CHECK(parser.feed(wire.data() + used, wire.size() - used) == second.size());
  CHECK(parser.state() == HttpParser::State::kComplete);
  CHECK(parser.message().method == "GET");
  CHECK(parser.message().body.empty());
}

TEST_CASE("http parser handles byte-by-byte input, chunked bodies and Expect", "[runtime][net]") {
  auto parser = request_parser();
  const std::string wire =
      "POST /a/b/c HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n"
      "X-Long: one\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  CHECK(feed_bytewise(parser, wire) == wire.size());
  REQUIRE(parser.state() == HttpParser::State::kComplete);
  CHECK(parser.message().body == "abcde");
  CHECK(parser.message().expects_continue);
  CHECK(*parser.message().header("x-long") == "one");
}

TEST_CASE("http parser: HTTP/1.0 and Connection: close end keep-alive", "[runtime][net]") {
  auto parser = request_parser();
  std::string wire = "GET / HTTP/1.0\r\n\r\n";
  parser.feed(wire.data(), wire.size());
  CHECK_FALSE(parser.message().keep_alive);
  parser.reset();
  wire = "GET / HTTP/1.1\r\nConnection: close\r\n\r\n";
  parser.feed(wire.data(), wire.size());
  CHECK_FALSE(parser.message().keep_alive);
}

TEST_CASE("http parser rejects garbage and oversized bodies", "[runtime][net]") {
  auto parser = request_parser();
  const std::string garbage = "\x01\x02 nonsense\r\n\r\n";
  parser.feed(garbage.data(), garbage.size());
  CHECK(parser.state() == HttpParser::State::kError);
  CHECK_FALSE(parser.error().empty());

  HttpParser small(HttpParser::Kind::kRequest, {.max_body_bytes = 4});
  const std::string big = "PUT / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789";
  small.feed(big.data(), big.size());
  CHECK(small.state() == HttpParser::State::kError);
  CHECK(small.too_large());
}

TEST_CASE("http parser reads responses: length, chunked, to end of stream", "[runtime][net]") {
  HttpParser parser(HttpParser::Kind::kResponse, {});
  std::string wire =
      "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 2\r\n\r\nok";
  parser.feed(wire.data(), wire.size());
  REQUIRE(parser.state() == HttpParser::State::kComplete);
  CHECK(parser.message().status == 200);
  CHECK(parser.message().body == "ok");

  parser.reset();
  wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n";
  parser.feed(wire.data(), wire.size());
  CHECK(parser.message().body == "x");

  parser.reset();
  wire = "HTTP/1.0 200 OK\r\n\r\nuntil the end";
  parser.feed(wire.data(), wire.size());
  CHECK(parser.state() == HttpParser::State::kHeadersDone);
  parser.finish();
  CHECK(parser.state() == HttpParser::State::kComplete);
  CHECK(parser.message().body == "until the end");

  parser.reset();
  wire = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort";
  parser.feed(wire.data(), wire.size());
  parser.finish();
  CHECK(parser.state() == HttpParser::State::kError);
}

TEST_CASE("http parser keeps only a prefix of error bodies", "[runtime][net]") {
  HttpParser parser(HttpParser::Kind::kResponse, {.kept_error_body_bytes = 3});
  const std::string wire = "HTTP/1.1 500 Oops\r\nContent-Length: 6\r\n\r\nboom!!";
  parser.feed(wire.data(), wire.size());
  REQUIRE(parser.state() == HttpParser::State::kComplete);
  CHECK(parser.message().status == 500);
  CHECK(parser.message().body == "boo");
}

TEST_CASE("event loop runs io handlers, timers and posted tasks", "[runtime][net]") {
  EventLoop loop;
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  int readable = 0;
  loop.watch(fds[0], EPOLLIN, [&](std::uint32_t) {
    char buffer[16];
    if (::read(fds[0], buffer, sizeof(buffer)) > 0) ++readable;
  });
  bool timer_ran = false, cancelled_ran = false, task_ran = false;
  loop.add_timer(EventLoop::Clock::now(), [&] { timer_ran = true; });
  auto cancelled = loop.add_timer(EventLoop::Clock::now(), [&] { cancelled_ran = true; });
  loop.cancel_timer(cancelled);
  REQUIRE(::write(fds[1], "x", 1) == 1);
  std::thread poster([&] { loop.post([&] { task_ran = true; }); });
  poster.join();
  for (int i = 0; i < 10 && !(readable && timer_ran && task_ran); ++i) {
    loop.wait(std::chrono::milliseconds(100));
    loop.dispatch();
  }
  CHECK(readable == 1);
  CHECK(timer_ran);
  CHECK_FALSE(cancelled_ran);
  CHECK(task_ran);

  // A handler that unwatches its own descriptor is not called again.
  loop.unwatch(fds[0]);
  REQUIRE(::write(fds[1], "y", 1) == 1);
  loop.wait(std::chrono::milliseconds(10));
  loop.dispatch();
  CHECK(readable == 1);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_CASE("event loop wake() from another thread ends a wait", "[runtime][net]") {
  EventLoop loop;
  loop.wait(std::chrono::milliseconds(0));  // makes this thread the loop thread
  std::thread waker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    loop.wake();
  });
  const auto started = EventLoop::Clock::now();
  loop.wait(std::nullopt);
  waker.join();
  CHECK(EventLoop::Clock::now() - started < std::chrono::seconds(5));
}
