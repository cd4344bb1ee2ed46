// Prometheus metrics of `statefun dev` (GET /metrics on the admin API):
// steps, messages, batch sizes, function latency and retries per function
// type, and the engine's gauges (queue depth per function type, pending,
// in flight, timers). Counters start at zero when the emulator starts.
//
// Threading: record_* are called on the engine thread, render() on admin
// API threads; one mutex guards everything.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "runtime/engine/dispatcher.h"

namespace statefun::emulator {

class Metrics {
 public:
  void record_step(const TraceRecord& step);
  void record_failure(const Address& address);

  // The text exposition format (version 0.0.4).
  std::string render(const DispatcherStatus& status) const;

 private:
  // Cumulative histogram buckets; the last one is +Inf.
  static constexpr std::array<double, 8> kBatchBounds = {1, 2, 5, 10, 20, 50, 100, 1000};
  static constexpr std::array<double, 10> kLatencyBounds = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                                            0.05,  0.1,    0.25,  1,    5};
  template <std::size_t N>
  struct Histogram {
    std::array<int64_t, N + 1> buckets{};  // per bucket (not cumulative); last: +Inf
    double sum = 0;
    int64_t count = 0;
    void observe(const std::array<double, N>& bounds, double value);
  };
  struct PerType {
    int64_t steps = 0;      // every step, admin edits included
    int64_t edits = 0;      // admin edits (steps without messages)
    int64_t messages = 0;   // messages consumed (batch sizes summed)
    int64_t sent = 0;       // messages sent to functions
    int64_t delayed = 0;    // delayed messages scheduled
    int64_t egress = 0;     // egress records produced
    int64_t retries = 0;    // failed attempts (each is retried)
    Histogram<8> batch;     // messages per request
    Histogram<10> latency;  // seconds per request
  };

  mutable std::mutex m_mutex;
  std::map<std::string, PerType> m_types;  // by function type "ns/name"
};

}  // namespace statefun::emulator
