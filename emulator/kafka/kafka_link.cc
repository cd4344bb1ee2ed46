#include "emulator/kafka/kafka_link.h"

#include <algorithm>

namespace statefun::emulator::kafka {

using namespace std::chrono_literals;

Link::Link(LinkStatus initial, Say info, Say warn)
    : info_(std::move(info)),
      warn_(std::move(warn)),
      label_("kafka " + initial.direction + " " + initial.id) {
  MutexLock lock(mu_);
  status_ = std::move(initial);
}

Link::~Link() = default;

void Link::start() {
  thread_ = std::thread([this] { run(); });
}

void Link::stop() {
  {
    MutexLock lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

LinkStatus Link::status() const {
  MutexLock lock(mu_);
  return status_;
}

bool Link::stopping() const {
  MutexLock lock(mu_);
  return stop_;
}

bool Link::pause(std::chrono::milliseconds delay) {
  const auto deadline = std::chrono::steady_clock::now() + delay;
  MutexLock lock(mu_);
  while (!stop_ && wake_.wait_until(mu_, deadline)) {
  }
  return !stop_;
}

std::chrono::milliseconds Link::failed(const Error& error) {
  bool news = false;
  std::chrono::milliseconds delay;
  {
    MutexLock lock(mu_);
    status_.state = "retrying";
    status_.error = error.message;
    news = error.message != last_problem_;
    last_problem_ = error.message;
    delay_ = std::clamp(delay_ * 2, std::chrono::milliseconds(200), std::chrono::milliseconds(10s));
    delay = delay_;
  }
  if (news && warn_) warn_(label_ + ": " + error.message + " (retrying with backoff)");
  return delay;
}

void Link::connected(const std::string& line) {
  bool news = false;
  {
    MutexLock lock(mu_);
    news = status_.state != "connected";
    status_.state = "connected";
    status_.error.clear();
    last_problem_.clear();
    delay_ = 0ms;
  }
  if (news && info_) info_(label_ + ": " + line);
}

void Link::counted(int64_t records, int64_t skipped) {
  MutexLock lock(mu_);
  status_.records += records;
  status_.skipped += skipped;
}

void Link::warn_once(const std::string& line) {
  {
    MutexLock lock(mu_);
    if (line == last_problem_) return;
    last_problem_ = line;
  }
  if (warn_) warn_(label_ + ": " + line);
}

}  // namespace statefun::emulator::kafka
