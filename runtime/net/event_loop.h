// A single-threaded epoll loop: file-descriptor readiness, one-shot timers
// and tasks posted from other threads.
//
// Whoever drives the loop (the dispatcher's engine thread) calls wait() and
// then dispatch(), in turn, forever; every handler, timer and posted task
// runs inside dispatch() on that thread, so network code living on the loop
// needs no locks and hands nothing to other threads: the point is to serve
// ingress and call functions without a thread switch per message.
//
// Thread safety: post(), wake() and in_loop_thread() may be called from any
// thread; everything else only from the loop thread (or before the loop
// first runs, while setting up).
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

namespace statefun::net {

class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;
  using IoHandler = std::function<void(std::uint32_t events)>;  // EPOLLIN, EPOLLOUT, ...
  using TimerId = std::uint64_t;

  // Throws std::system_error when epoll or eventfd cannot be created.
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Level-triggered interest in `fd`; the loop does not own or close it.
  // Returns false (errno set) when epoll refuses the descriptor.
  bool watch(int fd, std::uint32_t events, IoHandler handler);
  bool rewatch(int fd, std::uint32_t events);
  // Safe from inside any handler, including the fd's own: events already
  // collected for `fd` are dropped, even if the number is reused at once.
  void unwatch(int fd);

  // Runs `fn` once at `when` (real steady time, never the virtual clock).
  TimerId add_timer(Clock::time_point when, std::function<void()> fn);
  // A no-op when the timer already ran or was cancelled.
  void cancel_timer(TimerId id);

  // Any thread: runs `task` on the loop thread during the next dispatch().
  void post(std::function<void()> task);
  // Any thread: makes a wait() in progress, or the next one, return at once.
  // Free when called on the loop thread, which is awake by definition.
  void wake();
  bool in_loop_thread() const;

  // Blocks until a descriptor is ready, a timer is due, a task was posted,
  // wake() was called, or `max_wait` passed (nullopt: no limit). The first
  // call makes the calling thread the loop thread.
  void wait(std::optional<std::chrono::milliseconds> max_wait);
  // Runs the handlers of what wait() found, then due timers, then posted tasks.
  void dispatch();

 private:
  struct Watch {
    std::uint32_t generation;
    std::shared_ptr<IoHandler> handler;  // shared: a handler may unwatch itself
  };

  int timeout_for_epoll(std::optional<std::chrono::milliseconds> max_wait);
  void run_due_timers();
  void run_posted_tasks();

  int m_epoll = -1;
  int m_wakeup = -1;  // eventfd
  std::atomic<std::thread::id> m_owner{};
  std::uint32_t m_next_generation = 1;
  std::unordered_map<int, Watch> m_watches;
  std::vector<epoll_event> m_ready;
  int m_ready_count = 0;
  TimerId m_next_timer = 1;
  std::map<std::pair<Clock::time_point, TimerId>, std::function<void()>> m_timers;
  std::unordered_map<TimerId, Clock::time_point> m_timer_due;

  mutable std::mutex m_mutex;  // guards m_posted
  std::vector<std::function<void()>> m_posted;
};

}  // namespace statefun::net
