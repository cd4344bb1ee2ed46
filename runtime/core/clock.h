// The engine's only source of time, so tests (and a later virtual-time mode)
// can move time without sleeping. Times are milliseconds since the Unix
// epoch because timers and expiries are persisted across restarts.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace statefun {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t now_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t now_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock that only moves when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ms = 1'700'000'000'000) : m_now(start_ms) {}
  int64_t now_ms() const override { return m_now.load(); }
  void advance_ms(int64_t delta) { m_now += delta; }

 private:
  std::atomic<int64_t> m_now;
};

}  // namespace statefun
