#include "runtime/net/http_connection.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>

namespace statefun::net {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
// Reads per readiness event: enough to take a large body in big bites,
// few enough that one fast client cannot starve the others on the loop.
constexpr int kMaxReadsPerEvent = 16;
// Pipelined input buffered while a request awaits its response; beyond
// this we stop reading and TCP flow control holds the client back.
constexpr std::size_t kMaxBufferedInput = 1024 * 1024;
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr int kMaxIovecs = 16;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// Every connection reads through this one buffer: they all run on the loop
// thread, and a per-connection buffer would cost 64 KiB per idle client.
thread_local char t_read_buffer[kReadChunk];

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";  // the reason phrase is optional
  }
}

// RFC 9110 §8.6: these carry neither a body nor Content-Length.
bool bodiless_status(int status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

}  // namespace

HttpConnection::HttpConnection(EventLoop& loop, HttpConnectionOwner& owner, std::uint64_t id,
                               int fd, const Settings& settings)
    : m_loop(loop),
      m_owner(owner),
      m_id(id),
      m_fd(fd),
      m_settings(settings),
      m_parser(HttpParser::Kind::kRequest,
               HttpParser::Limits{.max_body_bytes = settings.max_body_bytes}),
      m_last_activity(EventLoop::Clock::now()) {}

HttpConnection::~HttpConnection() {
  // Normally closed by the server already; this only guards against a leak.
  if (m_fd >= 0) {
    m_loop.unwatch(m_fd);
    ::close(m_fd);
  }
  run_written_hooks(true);
}

bool HttpConnection::open() {
  m_interest = EPOLLIN;
  const bool watched = m_loop.watch(m_fd, m_interest, [weak = weak_from_this()](std::uint32_t ev) {
    if (auto self = weak.lock()) self->on_events(ev);
  });
  if (!watched) {
    ::close(m_fd);
    m_fd = -1;
    m_owner.on_closed(*this);
  }
  return watched;
}

void HttpConnection::close() {
  if (closed()) return;
  if (m_linger_timer) m_loop.cancel_timer(m_linger_timer);
  m_linger_timer = 0;
  m_loop.unwatch(m_fd);
  ::close(m_fd);
  m_fd = -1;
  m_in.clear();
  m_in_used = 0;
  m_out.clear();
  m_out_sent = 0;
  run_written_hooks(true);  // what was not sent by now never will be
  m_owner.on_closed(*this);
}

bool HttpConnection::idle_since(EventLoop::Clock::time_point cutoff) const {
  return !closed() && !m_awaiting_response && !m_lingering && m_last_activity < cutoff;
}

void HttpConnection::on_events(std::uint32_t events) {
  if (events & EPOLLERR) return close();
  if (m_lingering) {
    // Discard whatever the client still sends; its end of stream (or the
    // linger timer) closes the connection.
    for (int i = 0; i < kMaxReadsPerEvent; ++i) {
      const ssize_t n = ::recv(m_fd, t_read_buffer, sizeof(t_read_buffer), 0);
      if (n > 0) continue;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      return close();
    }
    return;
  }
  if (events & EPOLLOUT) {
    flush();
    if (closed()) return;
  }
  if (events & (EPOLLIN | EPOLLHUP)) {
    bool eof = false;
    if (!read_input(eof)) return;
    if (eof) {
      // A client that only shut down its sending side still reads the
      // answers owed to it (process_input() closes once they are written);
      // one that closed mid-request just goes away.
      m_peer_eof = true;
      if (!m_awaiting_response && m_out.empty()) return close();
      update_interest();
    }
  }
}

bool HttpConnection::read_input(bool& eof) {
  for (int i = 0; i < kMaxReadsPerEvent; ++i) {
    const ssize_t n = ::recv(m_fd, t_read_buffer, sizeof(t_read_buffer), 0);
    if (n == 0) {
      eof = true;
      return true;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      close();
      return false;
    }
    m_last_activity = EventLoop::Clock::now();
    m_in.append(t_read_buffer, static_cast<std::size_t>(n));
    process_input();
    if (closed()) return false;
    if (static_cast<std::size_t>(n) < sizeof(t_read_buffer)) return true;  // drained
    if (m_in.size() - m_in_used >= kMaxBufferedInput) return true;
  }
  return true;
}

void HttpConnection::process_input() {
  if (m_processing) return;  // the caller up the stack goes on
  m_processing = true;
  // A new request starts only once the previous response is fully written;
  // output pending mid-request can only be a 100 Continue.
  auto may_parse = [this] {
    return !closed() && !m_awaiting_response && !m_close_after_write && !m_lingering &&
           (m_out.empty() || m_parser.bytes_seen() > 0) && m_in_used < m_in.size();
  };
  while (may_parse()) {
    const std::size_t used = m_parser.feed(m_in.data() + m_in_used, m_in.size() - m_in_used);
    m_in_used += used;
    const auto state = m_parser.state();
    if (state == HttpParser::State::kError) {
      if (m_parser.too_large()) {
        reject(413, "request " + m_parser.error());
      } else {
        reject(400, "malformed HTTP request: " + m_parser.error());
      }
      break;
    }
    if (state == HttpParser::State::kComplete) {
      start_request();
      continue;
    }
    if (state == HttpParser::State::kHeadersDone && m_parser.message().expects_continue &&
        !m_continue_sent) {
      m_continue_sent = true;
      m_out.emplace_back(kContinue);
      flush();
    }
    if (used == 0) break;  // needs more bytes (never expected: the parser takes all it is given)
  }
  if (closed()) {
    m_processing = false;
    return;
  }
  if (m_peer_eof && !m_awaiting_response && m_out.empty() && !m_lingering) {
    m_processing = false;
    return close();  // nothing more can come, nothing more is owed
  }
  if (m_in_used == m_in.size()) {
    m_in.clear();
    m_in_used = 0;
  } else if (m_in_used >= kReadChunk && m_in_used * 2 >= m_in.size()) {
    m_in.erase(0, m_in_used);
    m_in_used = 0;
  }
  m_processing = false;
  update_interest();
}

void HttpConnection::start_request() {
  HttpMessage& message = m_parser.message();
  m_awaiting_response = true;
  m_keep_alive = message.keep_alive;
  m_head = message.method == "HEAD";
  m_continue_sent = false;
  const std::uint64_t request = ++m_request;
  const auto self = shared_from_this();  // the owner may close us while we are in here
  m_owner.on_request(*this, message, request);
  if (!closed()) m_parser.reset();
}

void HttpConnection::respond(std::uint64_t request_id, HttpResponse response) {
  if (closed() || !m_awaiting_response || request_id != m_request) {
    if (response.on_written) response.on_written(false);
    return;
  }
  m_awaiting_response = false;
  m_last_activity = EventLoop::Clock::now();
  queue_response(std::move(response), m_head, m_keep_alive);
  flush();
}

void HttpConnection::reject(int status, const std::string& reason) {
  m_linger_after_write = true;
  queue_response(
      HttpResponse{
          status, "text/plain; charset=utf-8", m_settings.label + ": " + reason + "\n", {}},
      false, false);
  flush();
}

void HttpConnection::queue_response(HttpResponse response, bool head_only, bool keep_alive) {
  const bool bodiless = bodiless_status(response.status);
  std::string head;
  head.reserve(160 + response.content_type.size());
  head += "HTTP/1.1 ";
  head += std::to_string(response.status);
  head += ' ';
  head += reason_phrase(response.status);
  head += "\r\n";
  if (!bodiless) {
    head += "Content-Length: ";
    head += std::to_string(response.body.size());
    head += "\r\n";
  }
  if (!response.content_type.empty()) {
    head += "Content-Type: ";
    head += response.content_type;
    head += "\r\n";
  }
  for (const auto& header : response.headers) {
    head += header.name;
    head += ": ";
    head += header.value;
    head += "\r\n";
  }
  // Explicit either way: an HTTP/1.0 client that asked for keep-alive needs
  // to hear it, and a closing connection should say so.
  head += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  m_out_queued_total += head.size();
  m_out.push_back(std::move(head));
  // The body stays its own buffer (no copy); flush() sends both in one call.
  if (!head_only && !bodiless && !response.body.empty()) {
    m_out_queued_total += response.body.size();
    m_out.push_back(std::move(response.body));
  }
  if (response.on_written) {
    m_written_hooks.emplace_back(m_out_queued_total, std::move(response.on_written));
  }
  if (!keep_alive) m_close_after_write = true;
}

void HttpConnection::flush() {
  while (!m_out.empty()) {
    iovec iov[kMaxIovecs];
    int count = 0;
    for (auto it = m_out.begin(); it != m_out.end() && count < kMaxIovecs; ++it, ++count) {
      const std::size_t skip = count == 0 ? m_out_sent : 0;
      iov[count].iov_base = it->data() + skip;
      iov[count].iov_len = it->size() - skip;
    }
    msghdr message{};
    message.msg_iov = iov;
    message.msg_iovlen = static_cast<std::size_t>(count);
    ssize_t sent = ::sendmsg(m_fd, &message, MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return close();  // EPIPE, ECONNRESET: the client is gone
    }
    m_last_activity = EventLoop::Clock::now();
    m_out_sent_total += static_cast<std::uint64_t>(sent);
    while (sent > 0) {
      const std::size_t left = m_out.front().size() - m_out_sent;
      if (static_cast<std::size_t>(sent) < left) {
        m_out_sent += static_cast<std::size_t>(sent);
        break;
      }
      sent -= static_cast<ssize_t>(left);
      m_out.pop_front();
      m_out_sent = 0;
    }
  }
  run_written_hooks(false);
  if (closed()) return;
  if (!m_out.empty()) return update_interest();  // EPOLLOUT resumes
  if (m_linger_after_write) return linger();
  if (m_close_after_write) {
    // Unparsed bytes still here would turn our close into a reset that
    // can destroy the response in flight; drain them first.
    if (m_in_used < m_in.size()) return linger();
    return close();
  }
  process_input();  // a pipelined request may be waiting; no-op when re-entered
}

void HttpConnection::linger() {
  if (m_lingering || closed()) return;
  m_lingering = true;
  m_in.clear();
  m_in_used = 0;
  ::shutdown(m_fd, SHUT_WR);
  m_linger_timer =
      m_loop.add_timer(EventLoop::Clock::now() + kLingerTime, [weak = weak_from_this()] {
        if (auto self = weak.lock()) {
          self->m_linger_timer = 0;
          self->close();
        }
      });
  update_interest();
}

void HttpConnection::run_written_hooks(bool closing) {
  while (!m_written_hooks.empty() &&
         (closing || m_written_hooks.front().first <= m_out_sent_total)) {
    // After the client ended its stream a send succeeds into a socket that
    // nobody may read (a closed peer answers it with a reset later), so a
    // response is delivered only if its last byte went out before that.
    const bool written = !m_peer_eof && m_written_hooks.front().first <= m_out_sent_total;
    auto hook = std::move(m_written_hooks.front().second);
    m_written_hooks.pop_front();
    hook(written);  // on close, written only if its last byte was
  }
}

void HttpConnection::update_interest() {
  if (closed()) return;
  std::uint32_t want = 0;
  if (m_lingering) {
    want = EPOLLIN;
  } else {
    // After the client's end of stream, EPOLLIN would report it forever.
    if (!m_peer_eof && m_in.size() - m_in_used < kMaxBufferedInput) want |= EPOLLIN;
    if (!m_out.empty()) want |= EPOLLOUT;
  }
  if (want == m_interest) return;
  m_interest = want;
  m_loop.rewatch(m_fd, want);
}

}  // namespace statefun::net
