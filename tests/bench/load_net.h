// Networking for statefun-load, all on one statefun::net::EventLoop thread:
// a keep-alive HTTP/1.1 client connection, a microsecond timer, and a poller
// that repeats a GET. One thread and no blocking calls, so the load
// generator spends a few microseconds of CPU per request instead of a thread
// switch per message (it shares the machine with what it measures).
#pragma once

#include <netinet/in.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/net/event_loop.h"
#include "runtime/net/http_message.h"
#include "runtime/net/tcp_connect.h"

namespace statefun::bench {

using Clock = std::chrono::steady_clock;

// "host:port" as a socket address; exits the program when it does not resolve.
detail::SocketAddress resolve_or_exit(const std::string& host_port);

// Appends one whole HTTP/1.1 request (head and body) to `out`.
void append_request(std::string& out, std::string_view method, std::string_view target,
                    std::string_view host, std::string_view content_type = {},
                    std::string_view body = {});

// A keep-alive client connection carrying one request at a time (no
// pipelining). It connects on the first request and again after the server
// closed it; a request that was in flight when the connection died fails
// and is not retried (a retry could apply a message twice).
class Connection {
 public:
  // Once per request: the response, or nullptr when the request failed
  // (connection refused or lost, malformed response, `timeout` exceeded).
  // Never called from inside send(), so it may call send() again.
  using OnResponse = std::function<void(net::HttpMessage* response)>;

  Connection(net::EventLoop& loop, const detail::SocketAddress& address,
             std::chrono::seconds timeout, OnResponse on_response);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool busy() const { return m_in_flight; }
  // `request` is a whole request, as append_request() writes it; needs !busy().
  void send(std::string_view request);
  // Closes the connection unless a request is in flight; send() reconnects.
  void disconnect() {
    if (!m_in_flight) close();
  }

 private:
  bool open();
  void close();
  bool write_some();  // false: the connection is broken
  void read_some();
  void on_events(std::uint32_t events);
  void on_end_of_stream();
  void complete(bool reusable);
  void fail();
  void want_output(bool on);
  void arm_deadline();

  net::EventLoop& m_loop;
  const detail::SocketAddress m_address;
  const std::chrono::seconds m_timeout;
  OnResponse m_on_response;
  net::HttpParser m_parser;
  int m_fd = -1;
  bool m_want_output = false;  // EPOLLOUT is in the watched events
  bool m_in_flight = false;
  std::string m_out;
  std::size_t m_written = 0;
  Clock::time_point m_sent_at;
  // One timer per connection, re-armed lazily: a request's deadline is
  // checked when the timer armed for an earlier request fires.
  net::EventLoop::TimerId m_deadline_timer = 0;
};

// A one-shot timer with microsecond resolution (a timerfd): the loop's own
// timers round up to whole milliseconds, too coarse to pace 5,000 messages
// a second or to poll every 200 µs.
class PreciseTimer {
 public:
  PreciseTimer(net::EventLoop& loop, std::function<void()> on_fire);
  ~PreciseTimer();
  PreciseTimer(const PreciseTimer&) = delete;
  PreciseTimer& operator=(const PreciseTimer&) = delete;

  // Replaces any earlier arming; a time in the past fires at the next dispatch.
  void arm_at(Clock::time_point when);
  void disarm();

 private:
  net::EventLoop& m_loop;
  int m_fd = -1;
  std::function<void()> m_on_fire;
};

// Sends one GET after another on its own connection until stopped. After
// each response (nullptr: the request failed) `on_reply` says how long to
// wait before the next request, or nullopt to stop.
class Poller {
 public:
  using OnReply = std::function<std::optional<std::chrono::microseconds>(net::HttpMessage*)>;

  // `target` is asked for the request target before every request.
  Poller(net::EventLoop& loop, const std::string& host_port, std::function<std::string()> target,
         OnReply on_reply);
  // Replaces the reply handler (for handlers that need the poller itself).
  void set_on_reply(OnReply on_reply) { m_on_reply = std::move(on_reply); }
  void start();
  // The request in flight, if any, is answered but not followed by another.
  void stop();

 private:
  void poll();
  void on_response(net::HttpMessage* response);

  const std::string m_host;
  std::function<std::string()> m_target;
  OnReply m_on_reply;
  Connection m_connection;
  PreciseTimer m_delay;
  std::string m_request;
  bool m_stopped = true;
};

}  // namespace statefun::bench
