// Serving Functions over HTTP with cpp-httplib, on TCP or a UNIX socket.
// httplib stays in this file: the public header only sees Server::Impl.
#include <httplib.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "runtime/sdk/statefun_sdk.h"

namespace statefun::sdk {
namespace {

// The emulator keeps its connections open; httplib's default (5 requests
// per connection) would make it reconnect constantly.
constexpr std::size_t kRequestsPerConnection = 1'000'000;

// httplib writes without MSG_NOSIGNAL, so a runtime that hangs up mid-answer
// would kill the process with SIGPIPE. Threads inherit the signal mask, so
// blocking it here covers the whole worker pool without touching the rest of
// the user's process; the write then fails with EPIPE instead.
void block_sigpipe_in_this_thread() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

// A socket file left by a killed server would make bind() fail; anything
// else at that path is not ours to delete.
void remove_stale_socket(const std::string& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) return;
  if (!S_ISSOCK(info.st_mode)) {
    throw std::runtime_error(path + " exists and is not a UNIX socket");
  }
  ::unlink(path.c_str());
}

}  // namespace

class Server::Impl {
 public:
  Impl(const Functions& functions, ServeOptions options)
      : m_functions(functions), m_options(std::move(options)) {}

  ~Impl() { stop(); }

  void start() {
    std::unique_lock lock(m_mutex);
    if (m_started) throw std::logic_error("the server was already started");
    configure();
    bind();
    m_started = true;
    m_thread = std::thread([this] {
      block_sigpipe_in_this_thread();
      m_http.listen_after_bind();
      std::lock_guard done(m_mutex);
      m_finished = true;
      m_finished_changed.notify_all();
    });
    // httplib's stop() does nothing until the accept loop runs, so a stop()
    // right after start() would be lost and wait() would never return.
    while (!m_http.is_running() && !m_finished) {
      m_finished_changed.wait_for(lock, std::chrono::milliseconds(1));
    }
  }

  int port() const { return m_port; }

  void wait() {
    std::unique_lock lock(m_mutex);
    m_finished_changed.wait(lock, [this] { return !m_started || m_finished; });
  }

  void stop() {
    std::lock_guard lock(m_stop_mutex);
    if (!m_thread.joinable()) return;
    m_http.stop();
    m_thread.join();
    if (!m_options.unix_socket_path.empty()) ::unlink(m_options.unix_socket_path.c_str());
  }

 private:
  void configure() {
    const int threads = std::max(1, m_options.threads);
    m_http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    m_http.set_keep_alive_max_count(kRequestsPerConnection);
    m_http.Post(".*", [this](const httplib::Request& request, httplib::Response& response) {
      HandleResult result = m_functions.handle(request.body);
      if (m_options.log_errors && result.status != 200) {
        std::fprintf(stderr, "statefun sdk: answered %s %s with %d: %s\n", request.method.c_str(),
                     request.path.c_str(), result.status, result.body.c_str());
      }
      response.status = result.status;
      response.set_content(std::move(result.body), result.content_type.c_str());
    });
    const auto not_allowed = [](const httplib::Request&, httplib::Response& response) {
      response.status = 405;
      response.set_header("Allow", "POST");
      response.set_content("StateFun functions answer POST requests only\n",
                           "text/plain; charset=utf-8");
    };
    m_http.Get(".*", not_allowed);
    m_http.Put(".*", not_allowed);
    m_http.Patch(".*", not_allowed);
    m_http.Delete(".*", not_allowed);
  }

  void bind() {
    if (!m_options.unix_socket_path.empty()) {
      const std::string& path = m_options.unix_socket_path;
      remove_stale_socket(path);
      m_http.set_address_family(AF_UNIX);
      // For AF_UNIX httplib takes the path as the host and ignores the port
      // (which must not be 0, or it asks the socket for an IP port).
      if (!m_http.bind_to_port(path, 1)) {
        throw std::runtime_error("cannot listen on UNIX socket " + path);
      }
      return;
    }
    // Small requests and answers: do not let Nagle hold back the last segment.
    m_http.set_tcp_nodelay(true);
    // httplib's default also sets SO_REUSEPORT, which lets a second server
    // bind the same port silently and steal half the requests.
    m_http.set_socket_options([](socket_t socket) {
      const int yes = 1;
      ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });
    const std::string where = m_options.host + ":" + std::to_string(m_options.port);
    if (m_options.port == 0) {
      m_port = m_http.bind_to_any_port(m_options.host);
      if (m_port < 0) throw std::runtime_error("cannot listen on " + where);
    } else if (m_http.bind_to_port(m_options.host, m_options.port)) {
      m_port = m_options.port;
    } else {
      throw std::runtime_error("cannot listen on " + where);
    }
  }

  const Functions& m_functions;
  const ServeOptions m_options;
  httplib::Server m_http;
  int m_port = 0;
  std::thread m_thread;
  std::mutex m_mutex;  // guards m_started, m_finished
  std::condition_variable m_finished_changed;
  bool m_started = false;
  bool m_finished = false;
  std::mutex m_stop_mutex;  // serializes stop()
};

Server::Server(const Functions& functions, ServeOptions options)
    : m_impl(std::make_unique<Impl>(functions, std::move(options))) {}
Server::~Server() = default;
void Server::start() { m_impl->start(); }
int Server::port() const { return m_impl->port(); }
void Server::wait() { m_impl->wait(); }
void Server::stop() { m_impl->stop(); }

void serve(const Functions& functions, const ServeOptions& options) {
  Server server(functions, options);
  server.start();
  server.wait();
}

}  // namespace statefun::sdk
