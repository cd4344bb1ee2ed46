// The listening side of HttpServer: binding, accepting, the connection
// table, idle sweeps and routing responses back to their connection. The
// protocol itself is in http_connection.cc.
#include "runtime/net/http_server.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <unordered_map>

#include "runtime/net/http_connection.h"

namespace statefun::net {
namespace {

constexpr int kListenBacklog = 1024;
// Out of descriptors: accepting again at once would fail again (and spin
// on the still-readable listener), so pause this long.
constexpr auto kFdShortagePause = std::chrono::milliseconds(100);
// Accepts per readiness event, so a flood of connections cannot hold the
// loop for ever; the level-triggered listener reports the rest next time.
constexpr int kMaxAcceptsPerEvent = 4096;

int port_of(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6&>(address).sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in&>(address).sin_port);
}

// A listening, non-blocking socket on the first address of host:port that
// binds, or -1.
int bind_and_listen(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found) != 0) {
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = found; a && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    // SO_REUSEADDR only skips TIME_WAIT after a restart. Never SO_REUSEPORT:
    // it would let a second emulator share the port without an error.
    const int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, kListenBacklog) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  return fd;
}

// A listening, non-blocking UNIX socket at `path`, or -1. A socket file left
// by a killed server is replaced; anything else at the path is not ours.
int bind_unix_and_listen(const std::string& path) {
  sockaddr_un address{};
  if (path.empty() || path.size() >= sizeof(address.sun_path)) return -1;
  struct stat info {};
  if (::lstat(path.c_str(), &info) == 0) {
    if (!S_ISSOCK(info.st_mode)) return -1;
    ::unlink(path.c_str());
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  address.sun_family = AF_UNIX;
  path.copy(address.sun_path, path.size());
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(fd, kListenBacklog) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

class HttpServer::Impl final : public HttpConnectionOwner,
                               public std::enable_shared_from_this<HttpServer::Impl> {
 public:
  Impl(EventLoop& loop, Options options, Handler handler)
      : m_loop(loop),
        m_options(std::move(options)),
        m_handler(std::move(handler)),
        m_settings{m_options.label, m_options.max_body_bytes} {}

  Result<int> start(const std::string& host, int port);
  Result<void> start_unix(const std::string& path);
  void stop();
  void respond(std::uint64_t connection, std::uint64_t request, HttpResponse response);

  void on_request(HttpConnection& connection, HttpMessage& request,
                  std::uint64_t request_id) override;
  void on_closed(HttpConnection& connection) override;

 private:
  void listen_on(int fd);
  void register_listener();
  void accept_ready();
  void pause_accepting(std::optional<std::chrono::milliseconds> retry_after);
  void resume_accepting();
  void schedule_sweep();
  void close_idle_connections();

  EventLoop& m_loop;
  const Options m_options;
  const Handler m_handler;
  const HttpConnection::Settings m_settings;
  int m_listen_fd = -1;
  bool m_listening = false;  // m_listen_fd is watched by the loop
  bool m_accept_paused = false;
  EventLoop::TimerId m_resume_timer = 0;
  EventLoop::TimerId m_sweep_timer = 0;
  std::uint64_t m_next_connection = 1;
  std::unordered_map<std::uint64_t, std::shared_ptr<HttpConnection>> m_connections;
};

Result<int> HttpServer::Impl::start(const std::string& host, int port) {
  auto cannot_bind = [&] {
    return make_error(ErrorCode::kUnavailable, "port " + std::to_string(port) + " (" +
                                                   m_options.label + ") on " + host +
                                                   " is already in use or cannot be bound");
  };
  if (m_listen_fd >= 0) return cannot_bind();  // started twice
  const int fd = bind_and_listen(host, port);
  if (fd < 0) return cannot_bind();
  sockaddr_storage bound{};
  socklen_t size = sizeof(bound);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &size) != 0) {
    ::close(fd);
    return cannot_bind();
  }
  listen_on(fd);
  return port_of(bound);
}

Result<void> HttpServer::Impl::start_unix(const std::string& path) {
  const int fd = m_listen_fd >= 0 ? -1 : bind_unix_and_listen(path);
  if (fd < 0) {
    return make_error(ErrorCode::kUnavailable, "UNIX socket " + path + " (" + m_options.label +
                                                   ") cannot be bound (in use, or not a socket)");
  }
  listen_on(fd);
  return {};
}

void HttpServer::Impl::listen_on(int fd) {
  m_listen_fd = fd;
  // The loop's tables belong to its thread; from elsewhere (while it runs,
  // or before it first does) the registration waits for its next dispatch.
  // The socket listens already, so clients queue in the backlog meanwhile.
  if (m_loop.in_loop_thread()) {
    register_listener();
  } else {
    m_loop.post([weak = weak_from_this()] {
      if (auto self = weak.lock()) self->register_listener();
    });
  }
}

void HttpServer::Impl::register_listener() {
  if (m_listen_fd < 0 || m_listening) return;  // stopped (or restarted) before this ran
  m_listening = m_loop.watch(m_listen_fd, EPOLLIN, [this](std::uint32_t) { accept_ready(); });
  if (m_listening) schedule_sweep();
}

void HttpServer::Impl::stop() {
  if (m_resume_timer) m_loop.cancel_timer(m_resume_timer);
  if (m_sweep_timer) m_loop.cancel_timer(m_sweep_timer);
  m_resume_timer = m_sweep_timer = 0;
  if (m_listen_fd >= 0) {
    if (m_listening) m_loop.unwatch(m_listen_fd);
    ::close(m_listen_fd);
  }
  m_listen_fd = -1;
  m_listening = m_accept_paused = false;
  auto connections = std::move(m_connections);
  m_connections.clear();
  for (auto& [id, connection] : connections) connection->close();
}

void HttpServer::Impl::accept_ready() {
  for (int i = 0; i < kMaxAcceptsPerEvent; ++i) {
    if (m_connections.size() >= m_options.max_connections) {
      return pause_accepting(std::nullopt);  // a close resumes
    }
    const int fd = ::accept4(m_listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      switch (errno) {
        case EINTR:
        case ECONNABORTED:  // the client gave up while queued
        case EPROTO:
          continue;
        case EMFILE:
        case ENFILE:
        case ENOBUFS:
        case ENOMEM:
          return pause_accepting(kFdShortagePause);
        default:
          return;  // EAGAIN: the backlog is empty
      }
    }
    // Responses go out in one write and must not wait for a delayed ACK.
    const int yes = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    const std::uint64_t id = m_next_connection++;
    auto connection = std::make_shared<HttpConnection>(m_loop, *this, id, fd, m_settings);
    m_connections.emplace(id, connection);
    connection->open();  // on failure it closes itself and leaves the table
  }
}

void HttpServer::Impl::pause_accepting(std::optional<std::chrono::milliseconds> retry_after) {
  if (!m_accept_paused && m_listening) {
    m_loop.rewatch(m_listen_fd, 0);
    m_accept_paused = true;
  }
  if (retry_after && !m_resume_timer) {
    m_resume_timer =
        m_loop.add_timer(EventLoop::Clock::now() + *retry_after, [weak = weak_from_this()] {
          if (auto self = weak.lock()) {
            self->m_resume_timer = 0;
            self->resume_accepting();
          }
        });
  }
}

void HttpServer::Impl::resume_accepting() {
  if (!m_accept_paused || !m_listening || m_resume_timer) return;
  if (m_connections.size() >= m_options.max_connections) return;
  m_loop.rewatch(m_listen_fd, EPOLLIN);
  m_accept_paused = false;
}

void HttpServer::Impl::schedule_sweep() {
  if (m_options.idle_timeout.count() <= 0) return;
  const auto every = std::clamp(m_options.idle_timeout / 4, std::chrono::milliseconds(10),
                                std::chrono::milliseconds(5000));
  m_sweep_timer = m_loop.add_timer(EventLoop::Clock::now() + every, [weak = weak_from_this()] {
    if (auto self = weak.lock()) {
      self->m_sweep_timer = 0;
      self->close_idle_connections();
      self->schedule_sweep();
    }
  });
}

void HttpServer::Impl::close_idle_connections() {
  const auto cutoff = EventLoop::Clock::now() - m_options.idle_timeout;
  std::vector<std::shared_ptr<HttpConnection>> idle;
  for (const auto& [id, connection] : m_connections) {
    if (connection->idle_since(cutoff)) idle.push_back(connection);
  }
  for (const auto& connection : idle) connection->close();
}

void HttpServer::Impl::on_request(HttpConnection& connection, HttpMessage& request,
                                  std::uint64_t request_id) {
  try {
    m_handler(request, Responder(weak_from_this(), &m_loop, connection.id(), request_id));
  } catch (const std::exception& e) {
    // Ignored when the handler responded before throwing.
    connection.respond(
        request_id,
        HttpResponse{
            500, "text/plain; charset=utf-8", m_options.label + ": " + e.what() + "\n", {}});
  }
}

void HttpServer::Impl::on_closed(HttpConnection& connection) {
  m_connections.erase(connection.id());
  resume_accepting();
}

void HttpServer::Impl::respond(std::uint64_t connection, std::uint64_t request,
                               HttpResponse response) {
  const auto it = m_connections.find(connection);
  if (it == m_connections.end()) {  // closed meanwhile
    if (response.on_written) response.on_written(false);
    return;
  }
  const auto keep = it->second;  // responding may close it
  keep->respond(request, std::move(response));
}

void HttpServer::Responder::operator()(HttpResponse response) const {
  // Every path ends in respond() or tells on_written that nothing was sent.
  auto deliver = [](const std::weak_ptr<Impl>& server, std::uint64_t connection,
                    std::uint64_t request, HttpResponse response) {
    if (auto self = server.lock()) return self->respond(connection, request, std::move(response));
    if (response.on_written) response.on_written(false);
  };
  if (m_loop->in_loop_thread()) {
    return deliver(m_server, m_connection, m_request, std::move(response));
  }
  m_loop->post([deliver, server = m_server, connection = m_connection, request = m_request,
                response = std::move(response)]() mutable {
    deliver(server, connection, request, std::move(response));
  });
}

HttpServer::HttpServer(EventLoop& loop, Options options, Handler handler)
    : m_impl(std::make_shared<Impl>(loop, std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() { stop(); }

Result<void> HttpServer::start_unix(const std::string& path) { return m_impl->start_unix(path); }

Result<int> HttpServer::start(const std::string& host, int port) {
  return m_impl->start(host, port);
}

void HttpServer::stop() { m_impl->stop(); }

}  // namespace statefun::net
