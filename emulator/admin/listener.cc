#include "emulator/admin/listener.h"

#include <fmt/format.h>
#include <sys/socket.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

namespace statefun::emulator {

// httplib's ThreadPool starts all its threads up front and has a fixed size,
// so 32 event streams or long polls took every thread and starved the rest.
// This one starts a thread only when a connection arrives and every thread
// is busy (a keep-alive connection holds its thread), up to `max_threads`
// threads that are not parked; a thread parked by a LongRequest no longer
// counts, so streams and long polls never take the capacity of other
// requests. Threads beyond the limit end when they finish their request.
class OnDemandThreadPool final : public httplib::TaskQueue {
 public:
  OnDemandThreadPool(std::size_t max_threads, std::size_t max_parked)
      : m_max_threads(max_threads), m_max_parked(max_parked) {}
  ~OnDemandThreadPool() override { shutdown(); }

  void enqueue(std::function<void()> task) override {
    std::lock_guard lock(m_mutex);
    if (m_stopping) return;
    m_tasks.push_back(std::move(task));
    // m_idle still counts threads already woken for earlier tasks, so compare
    // against the queue: each waiting task needs an idle thread of its own.
    if (m_tasks.size() > m_idle && m_live - m_parked < m_max_threads) {
      ++m_live;
      std::thread([this] { work(); }).detach();
    } else {
      m_ready.notify_one();
    }
  }

  void shutdown() override {
    std::unique_lock lock(m_mutex);
    m_stopping = true;
    m_ready.notify_all();
    // Threads are detached: wait until the last one has left work().
    m_exited.wait(lock, [this] { return m_live == 0; });
  }

  bool park() { return park_if(true); }
  bool park_unbounded() { return park_if(false); }

 private:
  bool park_if(bool bounded) {
    std::lock_guard lock(m_mutex);
    if (bounded && m_parked >= m_max_parked) return false;
    ++m_parked;
    // The parked thread's place is free: a queued connection may need it.
    if (m_tasks.size() > m_idle && m_live - m_parked < m_max_threads && !m_stopping) {
      ++m_live;
      std::thread([this] { work(); }).detach();
    }
    return true;
  }

 public:
  void unpark() {
    std::lock_guard lock(m_mutex);
    --m_parked;
  }

  // Between two requests of a keep-alive connection the thread only waits
  // for the next one (up to httplib's keep-alive timeout): parked too, so
  // idle connections cannot take the capacity either.
  static void between_requests() {
    if (t_current && !t_between_requests && t_current->park_unbounded()) t_between_requests = true;
  }
  static void request_started() {
    if (t_current && t_between_requests) {
      t_between_requests = false;
      t_current->unpark();
    }
  }

  static thread_local OnDemandThreadPool* t_current;
  static thread_local bool t_between_requests;

 private:
  void work() {
    t_current = this;
    std::unique_lock lock(m_mutex);
    for (;;) {
      ++m_idle;
      m_ready.wait(lock, [this] { return m_stopping || !m_tasks.empty(); });
      --m_idle;
      if (m_tasks.empty()) break;  // stopping, nothing left to run
      auto task = std::move(m_tasks.front());
      m_tasks.pop_front();
      lock.unlock();
      task();
      lock.lock();
      if (t_between_requests) {  // the connection closed while idle
        t_between_requests = false;
        --m_parked;
      }
      if (m_live - m_parked > m_max_threads) break;  // a parked thread came back
    }
    t_current = nullptr;
    --m_live;
    // Notified under the lock: shutdown() cannot return (and the pool go
    // away) before this thread has released it for the last time.
    m_exited.notify_all();
  }

  const std::size_t m_max_threads;
  const std::size_t m_max_parked;
  std::mutex m_mutex;
  std::condition_variable m_ready, m_exited;
  std::deque<std::function<void()>> m_tasks;
  std::size_t m_live = 0;    // threads started and not yet ended
  std::size_t m_idle = 0;    // waiting for a task
  std::size_t m_parked = 0;  // inside a LongRequest
  bool m_stopping = false;
};

thread_local OnDemandThreadPool* OnDemandThreadPool::t_current = nullptr;
thread_local bool OnDemandThreadPool::t_between_requests = false;

LongRequest::LongRequest() : m_pool(OnDemandThreadPool::t_current) {
  if (m_pool && !m_pool->park()) {
    m_pool = nullptr;
    m_admitted = false;
  }
}

LongRequest::~LongRequest() {
  if (m_pool) m_pool->unpark();
}

Listener::Listener(std::string label, int worker_threads, int max_long_requests)
    : m_label(std::move(label)) {
  // Handlers block until their message is committed, so the pool must be
  // large enough for every client that waits on a group commit.
  m_server.new_task_queue = [worker_threads, max_long_requests] {
    return new OnDemandThreadPool(static_cast<std::size_t>(worker_threads),
                                  static_cast<std::size_t>(max_long_requests));
  };
  m_server.set_keep_alive_max_count(100000);
  // httplib writes headers and body separately: with Nagle on, the body waits
  // for the delayed ACK of the headers (~40 ms per response).
  m_server.set_tcp_nodelay(true);
  // httplib's defaults set SO_REUSEPORT, which would let a second emulator
  // bind the same port silently; SO_REUSEADDR only skips TIME_WAIT.
  m_server.set_socket_options([this](int socket) {
    int yes = 1;
    ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    m_socket = socket;
  });
  m_server.set_payload_max_length(64u * 1024u * 1024u);
  // Called once a response is written: the connection now waits idle.
  m_server.set_logger([](const httplib::Request&, const httplib::Response&) {
    OnDemandThreadPool::between_requests();
  });
  set_pre_routing_handler({});
}

void Listener::set_pre_routing_handler(httplib::Server::HandlerWithResponse handler) {
  m_server.set_pre_routing_handler(
      [handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
        OnDemandThreadPool::request_started();
        return handler ? handler(req, res) : httplib::Server::HandlerResponse::Unhandled;
      });
}

Listener::~Listener() { stop(); }

Result<int> Listener::start(const std::string& host, int port) {
  int bound = port;
  if (port == 0) {
    bound = m_server.bind_to_any_port(host);
  } else if (!m_server.bind_to_port(host, port)) {
    bound = -1;
  }
  if (bound <= 0) {
    return make_error(ErrorCode::kUnavailable,
                      fmt::format("port {} ({}) on {} is already in use or cannot be bound", port,
                                  m_label, host));
  }
  // httplib listens with a backlog of 5: a burst of clients would overflow it
  // and see resets. Listening again only enlarges the backlog.
  ::listen(m_socket, 1024);
  m_thread = std::thread([this] { m_server.listen_after_bind(); });
  return bound;
}

void Listener::stop() {
  if (m_thread.joinable()) {
    m_server.stop();
    m_thread.join();
  }
}

}  // namespace statefun::emulator
