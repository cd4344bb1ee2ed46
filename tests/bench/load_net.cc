#include "tests/bench/load_net.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <vector>

namespace statefun::bench {
namespace {

// Enough for any response the benchmark expects in one or two reads.
constexpr std::size_t kReadChunk = 16 * 1024;
// What httplib's client waited for a response by default (the pollers used it).
constexpr std::chrono::seconds kPollTimeout{5};

bool would_block() { return errno == EAGAIN || errno == EWOULDBLOCK; }

}  // namespace

detail::SocketAddress resolve_or_exit(const std::string& host_port) {
  const auto colon = host_port.rfind(':');
  std::vector<detail::SocketAddress> found;
  if (colon != std::string::npos) {
    const std::string port = host_port.substr(colon + 1);
    int number = 0;
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (error == std::errc{} && end == port.data() + port.size()) {
      found = detail::resolve_tcp(host_port.substr(0, colon), number);
    }
  }
  if (found.empty()) {
    std::fprintf(stderr, "statefun-load: cannot resolve '%s' (expected host:port)\n",
                 host_port.c_str());
    std::exit(2);
  }
  return found.front();
}

void append_request(std::string& out, std::string_view method, std::string_view target,
                    std::string_view host, std::string_view content_type, std::string_view body) {
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ").append(host);
  if (!content_type.empty()) out.append("\r\nContent-Type: ").append(content_type);
  if (!body.empty() || method == "PUT" || method == "POST") {
    char length[24];
    const auto end = std::to_chars(length, length + sizeof(length), body.size()).ptr;
    out.append("\r\nContent-Length: ").append(length, end);
  }
  out.append("\r\n\r\n").append(body);
}

// --- Connection ---

Connection::Connection(net::EventLoop& loop, const detail::SocketAddress& address,
                       std::chrono::seconds timeout, OnResponse on_response)
    : m_loop(loop),
      m_address(address),
      m_timeout(timeout),
      m_on_response(std::move(on_response)),
      m_parser(net::HttpParser::Kind::kResponse, net::HttpParser::Limits{}) {}

Connection::~Connection() {
  if (m_deadline_timer) m_loop.cancel_timer(m_deadline_timer);
  close();
}

void Connection::send(std::string_view request) {
  m_out.assign(request);
  m_written = 0;
  m_in_flight = true;
  m_sent_at = Clock::now();
  arm_deadline();
  if ((m_fd < 0 && !open()) || !write_some()) {
    // Reported from the loop, not from here: a caller that sends its next
    // request from the callback would otherwise recurse once per message
    // while the server is down. Closed first, so no event can answer first.
    close();
    m_loop.post([this] { fail(); });
  }
}

bool Connection::open() {
  // TCP_NODELAY: the rest of a request after a partial write must not wait
  // for the server's delayed ACK.
  const detail::ConnectStart start = detail::start_connect(m_address);
  if (start.fd < 0) return false;
  const int fd = start.fd;
  if (!m_loop.watch(fd, EPOLLIN, [this](std::uint32_t events) { on_events(events); })) {
    ::close(fd);
    return false;
  }
  m_fd = fd;
  m_want_output = false;
  return true;
}

void Connection::close() {
  if (m_fd < 0) return;
  m_loop.unwatch(m_fd);
  ::close(m_fd);
  m_fd = -1;
  m_want_output = false;
}

bool Connection::write_some() {
  while (m_written < m_out.size()) {
    const ssize_t sent =
        ::send(m_fd, m_out.data() + m_written, m_out.size() - m_written, MSG_NOSIGNAL);
    if (sent >= 0) {
      m_written += static_cast<std::size_t>(sent);
    } else if (would_block()) {
      // Still connecting, or the socket buffer is full.
      want_output(true);
      return true;
    } else if (errno != EINTR) {
      return false;
    }
  }
  want_output(false);
  return true;
}

void Connection::want_output(bool on) {
  if (on == m_want_output) return;
  m_loop.rewatch(m_fd, EPOLLIN | (on ? EPOLLOUT : 0u));
  m_want_output = on;
}

void Connection::on_events(std::uint32_t events) {
  if ((events & EPOLLOUT) && m_in_flight && m_written < m_out.size() && !write_some()) {
    return fail();
  }
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) read_some();
}

// One read per readiness event: the loop is level-triggered, so whatever is
// left comes back with the next dispatch, and the usual whole response costs
// one recv() rather than a second one that would only say EAGAIN.
void Connection::read_some() {
  char chunk[kReadChunk];
  ssize_t got;
  do {
    got = ::recv(m_fd, chunk, sizeof(chunk), 0);
  } while (got < 0 && errno == EINTR);
  if (got < 0 && would_block()) return;
  if (got <= 0) return on_end_of_stream();
  if (!m_in_flight) return close();  // bytes nobody asked for: start afresh
  const std::size_t used = m_parser.feed(chunk, static_cast<std::size_t>(got));
  switch (m_parser.state()) {
    case net::HttpParser::State::kError:
      return fail();
    case net::HttpParser::State::kComplete:
      // Bytes after the response would be an answer to nothing.
      return complete(used == static_cast<std::size_t>(got));
    default:
      return;
  }
}

// The server closed the connection: between requests that is its keep-alive
// policy (reconnect on the next send); with a request in flight, only a
// response whose body ran to the end of the stream counts as an answer.
void Connection::on_end_of_stream() {
  if (!m_in_flight) return close();
  m_parser.finish();
  if (m_parser.state() == net::HttpParser::State::kComplete) return complete(false);
  fail();
}

// The callback may send the next request on this connection, so the
// connection is ready for it before the callback runs.
void Connection::complete(bool reusable) {
  net::HttpMessage response = std::move(m_parser.message());
  m_parser.reset();
  m_in_flight = false;
  if (!reusable || !response.keep_alive) close();
  m_on_response(&response);
}

void Connection::fail() {
  if (!m_in_flight) return;
  close();
  m_parser.reset();
  m_in_flight = false;
  m_on_response(nullptr);
}

void Connection::arm_deadline() {
  if (m_deadline_timer) return;
  m_deadline_timer = m_loop.add_timer(m_sent_at + m_timeout, [this] {
    m_deadline_timer = 0;
    if (!m_in_flight) return;
    if (Clock::now() - m_sent_at >= m_timeout) return fail();
    arm_deadline();
  });
}

// --- PreciseTimer ---

PreciseTimer::PreciseTimer(net::EventLoop& loop, std::function<void()> on_fire)
    : m_loop(loop), m_on_fire(std::move(on_fire)) {
  m_fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (m_fd < 0) throw std::system_error(errno, std::generic_category(), "timerfd_create");
  m_loop.watch(m_fd, EPOLLIN, [this](std::uint32_t) {
    std::uint64_t expirations;
    // Nothing to read: disarmed or re-armed after the event was collected.
    if (::read(m_fd, &expirations, sizeof(expirations)) != sizeof(expirations)) return;
    m_on_fire();
  });
}

PreciseTimer::~PreciseTimer() {
  m_loop.unwatch(m_fd);
  ::close(m_fd);
}

// steady_clock is CLOCK_MONOTONIC on Linux, so its time points arm the
// timerfd as absolute times.
void PreciseTimer::arm_at(Clock::time_point when) {
  const auto ns = std::max<std::int64_t>(
      1, std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count());
  itimerspec spec{};
  spec.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  spec.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  ::timerfd_settime(m_fd, TFD_TIMER_ABSTIME, &spec, nullptr);
}

void PreciseTimer::disarm() {
  const itimerspec zero{};
  ::timerfd_settime(m_fd, 0, &zero, nullptr);
}

// --- Poller ---

Poller::Poller(net::EventLoop& loop, const std::string& host_port,
               std::function<std::string()> target, OnReply on_reply)
    : m_host(host_port),
      m_target(std::move(target)),
      m_on_reply(std::move(on_reply)),
      m_connection(loop, resolve_or_exit(host_port), kPollTimeout,
                   [this](net::HttpMessage* response) { on_response(response); }),
      m_delay(loop, [this] { poll(); }) {}

void Poller::start() {
  m_stopped = false;
  poll();
}

void Poller::stop() {
  m_stopped = true;
  m_delay.disarm();
}

void Poller::poll() {
  if (m_stopped || m_connection.busy()) return;
  m_request.clear();
  append_request(m_request, "GET", m_target(), m_host);
  m_connection.send(m_request);
}

void Poller::on_response(net::HttpMessage* response) {
  const auto delay = m_on_reply(response);
  if (!delay) m_stopped = true;
  if (m_stopped) return;
  if (delay->count() <= 0) return poll();
  m_delay.arm_at(Clock::now() + *delay);
}

}  // namespace statefun::bench
