#include "runtime/net/event_loop.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <limits>
#include <system_error>

namespace statefun::net {
namespace {

constexpr int kMaxEventsPerWait = 256;
constexpr std::uint64_t kWakeupKey = std::numeric_limits<std::uint64_t>::max();

std::uint64_t key_of(std::uint32_t generation, int fd) {
  return (static_cast<std::uint64_t>(generation) << 32) | static_cast<std::uint32_t>(fd);
}

}  // namespace

EventLoop::EventLoop() : m_ready(kMaxEventsPerWait) {
  m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
  if (m_epoll < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  m_wakeup = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (m_wakeup < 0) {
    ::close(m_epoll);
    throw std::system_error(errno, std::generic_category(), "eventfd");
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = kWakeupKey;
  ::epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_wakeup, &event);
}

EventLoop::~EventLoop() {
  ::close(m_wakeup);
  ::close(m_epoll);
}

bool EventLoop::watch(int fd, std::uint32_t events, IoHandler handler) {
  const std::uint32_t generation = m_next_generation++;
  epoll_event event{};
  event.events = events;
  event.data.u64 = key_of(generation, fd);
  if (::epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &event) != 0) return false;
  m_watches[fd] = Watch{generation, std::make_shared<IoHandler>(std::move(handler))};
  return true;
}

bool EventLoop::rewatch(int fd, std::uint32_t events) {
  auto it = m_watches.find(fd);
  if (it == m_watches.end()) return false;
  epoll_event event{};
  event.events = events;
  event.data.u64 = key_of(it->second.generation, fd);
  return ::epoll_ctl(m_epoll, EPOLL_CTL_MOD, fd, &event) == 0;
}

void EventLoop::unwatch(int fd) {
  if (m_watches.erase(fd) == 0) return;
  ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
}

EventLoop::TimerId EventLoop::add_timer(Clock::time_point when, std::function<void()> fn) {
  const TimerId id = m_next_timer++;
  m_timers.emplace(std::make_pair(when, id), std::move(fn));
  m_timer_due.emplace(id, when);
  return id;
}

void EventLoop::cancel_timer(TimerId id) {
  auto it = m_timer_due.find(id);
  if (it == m_timer_due.end()) return;
  m_timers.erase({it->second, id});
  m_timer_due.erase(it);
}

void EventLoop::post(std::function<void()> task) {
  {
    std::lock_guard lock(m_mutex);
    m_posted.push_back(std::move(task));
  }
  wake();
}

void EventLoop::wake() {
  if (in_loop_thread()) return;
  const std::uint64_t one = 1;
  // EAGAIN means the counter is saturated: the loop is woken already.
  [[maybe_unused]] auto written = ::write(m_wakeup, &one, sizeof(one));
}

bool EventLoop::in_loop_thread() const { return m_owner.load() == std::this_thread::get_id(); }

int EventLoop::timeout_for_epoll(std::optional<std::chrono::milliseconds> max_wait) {
  {
    std::lock_guard lock(m_mutex);
    if (!m_posted.empty()) return 0;
  }
  auto limit = max_wait;
  if (!m_timers.empty()) {
    const auto until_timer =
        std::chrono::ceil<std::chrono::milliseconds>(m_timers.begin()->first.first - Clock::now());
    if (!limit || until_timer < *limit) limit = until_timer;
  }
  if (!limit) return -1;
  if (limit->count() <= 0) return 0;
  return static_cast<int>(std::min<std::int64_t>(limit->count(), std::numeric_limits<int>::max()));
}

void EventLoop::wait(std::optional<std::chrono::milliseconds> max_wait) {
  m_owner = std::this_thread::get_id();
  const int timeout = timeout_for_epoll(max_wait);
  int count;
  do {
    count = ::epoll_wait(m_epoll, m_ready.data(), static_cast<int>(m_ready.size()), timeout);
  } while (count < 0 && errno == EINTR && timeout < 0);
  m_ready_count = count < 0 ? 0 : count;
}

void EventLoop::dispatch() {
  const int count = m_ready_count;
  m_ready_count = 0;
  for (int i = 0; i < count; ++i) {
    const std::uint64_t key = m_ready[i].data.u64;
    if (key == kWakeupKey) {
      std::uint64_t drained;
      [[maybe_unused]] auto got = ::read(m_wakeup, &drained, sizeof(drained));
      continue;
    }
    const int fd = static_cast<int>(key & 0xffffffffu);
    auto it = m_watches.find(fd);
    // Unwatched (and maybe re-watched under the same number) since wait().
    if (it == m_watches.end() || key_of(it->second.generation, fd) != key) continue;
    const auto handler = it->second.handler;
    (*handler)(m_ready[i].events);
  }
  run_due_timers();
  run_posted_tasks();
}

void EventLoop::run_due_timers() {
  const auto now = Clock::now();
  while (!m_timers.empty() && m_timers.begin()->first.first <= now) {
    auto node = m_timers.extract(m_timers.begin());
    m_timer_due.erase(node.key().second);
    node.mapped()();
  }
}

void EventLoop::run_posted_tasks() {
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard lock(m_mutex);
    tasks.swap(m_posted);
  }
  for (auto& task : tasks) task();
}

}  // namespace statefun::net
