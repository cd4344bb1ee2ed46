// The engine's sources of time, so tests and `statefun dev --clock virtual`
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

// A clock that only moves when told to: unit tests' clock, and the virtual
// clock of `statefun dev --clock virtual` (which only the engine moves, see
// EngineOptions::virtual_clock). Thread-safe: readers on other threads see
// each move whole.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ms = 1'700'000'000'000) : m_now(start_ms) {}
  int64_t now_ms() const override { return m_now.load(); }
  void advance_ms(int64_t delta) { m_now += delta; }
  void set_ms(int64_t now) { m_now = now; }

 private:
  std::atomic<int64_t> m_now;
};

}  // namespace statefun
