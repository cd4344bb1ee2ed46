// What the ingress and egress runners of `kafka: connect` share: a thread
// of their own, stopping it, waiting with backoff, and the status they
// report. A problem (unreachable broker, missing topic, ...) is printed
// once when it starts or changes, not on every retry, and so is getting
// back in touch.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "emulator/kafka/kafka_status.h"
#include "runtime/core/result.h"
#include "runtime/core/thread_annotations.h"

namespace statefun::emulator::kafka {

// One console line (a warning or information).
using Say = std::function<void(const std::string& line)>;

class Link {
 public:
  Link(LinkStatus initial, Say info, Say warn);
  virtual ~Link();  // stop() must have been called by the owner
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  void start();
  // Asks run() to end and joins its thread.
  void stop();
  LinkStatus status() const;

 protected:
  // The runner's loop; returns when stopping() turns true.
  virtual void run() = 0;
  bool stopping() const;
  // Waits `delay`, or less when stop() is called; false when stopping.
  bool pause(std::chrono::milliseconds delay);
  // The last attempt failed with `error`: retried after the pause this
  // returns (200 ms, doubling up to 10 s while failures go on).
  std::chrono::milliseconds failed(const Error& error);
  // Attempts work again; `line` is printed when that is news.
  void connected(const std::string& line);
  void counted(int64_t records, int64_t skipped = 0);
  // Warns once per distinct `line` (e.g. a record no route takes).
  void warn_once(const std::string& line);

  const std::string& label() const { return label_; }  // "kafka ingress example/names"

 private:
  mutable Mutex mu_;
  CondVar wake_;
  bool stop_ STATEFUN_GUARDED_BY(mu_) = false;
  LinkStatus status_ STATEFUN_GUARDED_BY(mu_);
  std::string last_problem_ STATEFUN_GUARDED_BY(mu_);
  std::chrono::milliseconds delay_ STATEFUN_GUARDED_BY(mu_){0};
  Say info_, warn_;
  std::string label_;  // set once, before the thread starts
  std::thread thread_;
};

}  // namespace statefun::emulator::kafka
