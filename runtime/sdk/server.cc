// Serving Functions over HTTP on statefun's event loop (runtime/net), on TCP
// or a UNIX socket. One I/O thread serves every connection; handlers run on
// it (threads == 1) or on a pool (threads > 1), see ServeOptions::threads.
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "runtime/net/event_loop.h"
#include "runtime/net/http_server.h"
#include "runtime/sdk/statefun_sdk.h"

namespace statefun::sdk {
namespace {

net::HttpResponse method_not_allowed() {
  net::HttpResponse response;
  response.status = 405;
  response.content_type = "text/plain; charset=utf-8";
  response.body = "StateFun functions answer POST requests only\n";
  response.headers.push_back({"Allow", "POST"});
  return response;
}

// Runs handlers off the I/O thread, so slow or blocking functions overlap.
// Each job answers through its Responder, which posts back to the loop.
class HandlerPool {
 public:
  explicit HandlerPool(int threads) {
    for (int i = 0; i < threads; ++i) m_threads.emplace_back([this] { work(); });
  }
  ~HandlerPool() {
    {
      std::lock_guard lock(m_mutex);
      m_stopping = true;
    }
    m_ready.notify_all();
    for (auto& thread : m_threads) thread.join();
  }
  void submit(std::function<void()> job) {
    {
      std::lock_guard lock(m_mutex);
      m_jobs.push_back(std::move(job));
    }
    m_ready.notify_one();
  }

 private:
  void work() {
    std::unique_lock lock(m_mutex);
    for (;;) {
      m_ready.wait(lock, [this] { return m_stopping || !m_jobs.empty(); });
      if (m_jobs.empty()) return;  // stopping
      auto job = std::move(m_jobs.front());
      m_jobs.pop_front();
      lock.unlock();
      job();
      lock.lock();
    }
  }

  std::mutex m_mutex;
  std::condition_variable m_ready;
  std::deque<std::function<void()>> m_jobs;
  bool m_stopping = false;
  std::vector<std::thread> m_threads;
};

}  // namespace

class Server::Impl {
 public:
  Impl(const Functions& functions, ServeOptions options)
      : m_functions(functions), m_options(with_host(std::move(options))) {}

  ~Impl() { stop(); }

  void start() {
    std::lock_guard lock(m_mutex);
    if (m_started) throw std::logic_error("the server was already started");
    m_http = std::make_unique<net::HttpServer>(
        m_loop, net::HttpServer::Options{.label = "statefun functions"},
        [this](net::HttpMessage& request, net::HttpServer::Responder respond) {
          serve(request, std::move(respond));
        });
    bind();
    if (m_options.threads > 1) m_pool = std::make_unique<HandlerPool>(m_options.threads);
    m_started = true;
    m_thread = std::thread([this] { run(); });
  }

  int port() const { return m_port; }
  const std::string& host() const { return m_options.host; }

  void wait() {
    std::unique_lock lock(m_mutex);
    m_finished_changed.wait(lock, [this] { return !m_started || m_finished; });
  }

  void stop() {
    std::lock_guard stop_lock(m_stop_mutex);
    if (!m_thread.joinable()) return;
    m_stop_requested = true;
    m_loop.wake();
    m_thread.join();
    m_pool.reset();  // finishes running handlers; their answers go nowhere
    m_http->stop();  // the loop no longer runs, so this thread may
    if (!m_options.unix_socket_path.empty()) ::unlink(m_options.unix_socket_path.c_str());
    std::lock_guard lock(m_mutex);
    m_finished = true;
    m_finished_changed.notify_all();
  }

 private:
  // An empty host: $HOST, or 127.0.0.1 (only this machine) when unset.
  static ServeOptions with_host(ServeOptions options) {
    if (options.host.empty()) {
      const char* host = std::getenv("HOST");
      options.host = host && *host ? host : "127.0.0.1";
    }
    return options;
  }

  void bind() {
    if (!m_options.unix_socket_path.empty()) {
      if (auto bound = m_http->start_unix(m_options.unix_socket_path); !bound) {
        throw std::runtime_error("cannot listen on UNIX socket " + m_options.unix_socket_path);
      }
      return;
    }
    auto bound = m_http->start(m_options.host, m_options.port);
    if (!bound) {
      throw std::runtime_error("cannot listen on " + m_options.host + ":" +
                               std::to_string(m_options.port));
    }
    m_port = *bound;
  }

  void run() {
    while (!m_stop_requested) {
      m_loop.wait(std::nullopt);
      m_loop.dispatch();
    }
  }

  void serve(net::HttpMessage& request, net::HttpServer::Responder respond) {
    if (request.method != "POST") return respond(method_not_allowed());
    if (!m_pool) return respond(answer(request.method, request.target, request.body));
    m_pool->submit([this, method = request.method, target = request.target,
                    body = std::move(request.body),
                    respond = std::move(respond)] { respond(answer(method, target, body)); });
  }

  net::HttpResponse answer(const std::string& method, const std::string& target,
                           const std::string& body) const {
    HandleResult result = m_functions.handle(body);
    if (m_options.log_errors && result.status != 200) {
      std::fprintf(stderr, "statefun sdk: answered %s %s with %d: %s\n", method.c_str(),
                   target.c_str(), result.status, result.body.c_str());
    }
    return {result.status, std::move(result.content_type), std::move(result.body), {}};
  }

  const Functions& m_functions;
  const ServeOptions m_options;
  net::EventLoop m_loop;
  std::unique_ptr<net::HttpServer> m_http;
  std::unique_ptr<HandlerPool> m_pool;
  int m_port = 0;
  std::thread m_thread;
  std::atomic<bool> m_stop_requested{false};
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
const std::string& Server::host() const { return m_impl->host(); }
void Server::wait() { m_impl->wait(); }
void Server::stop() { m_impl->stop(); }

void serve(const Functions& functions, const ServeOptions& options) {
  Server server(functions, options);
  server.start();
  server.wait();
}

}  // namespace statefun::sdk
