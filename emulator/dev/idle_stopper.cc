#include "emulator/dev/idle_stopper.h"

#include <algorithm>

namespace statefun::emulator {

using std::chrono::milliseconds;

IdleStopper::IdleStopper(Dispatcher& dispatcher, Supervisor& supervisor, Targets targets)
    : m_dispatcher(dispatcher), m_supervisor(supervisor), m_targets(std::move(targets)) {
  m_thread = std::thread([this] { run(); });
}

IdleStopper::~IdleStopper() { stop(); }

void IdleStopper::stop() {
  {
    MutexLock lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  if (m_thread.joinable()) m_thread.join();
}

milliseconds IdleStopper::tick_for(milliseconds idle_stop) {
  return std::clamp(idle_stop / 4, milliseconds(50), milliseconds(1000));
}

void IdleStopper::run() {
  for (;;) {
    milliseconds tick(1000);
    for (const Target& target : m_targets()) {
      tick = std::min(tick, tick_for(target.idle_stop));
      // The answer comes on the engine's thread; stop_idle only signals.
      m_dispatcher.close_gate_if_idle(target.process, target.idle_stop,
                                      [&supervisor = m_supervisor, target](bool closed) {
                                        if (closed)
                                          supervisor.stop_idle(target.process, target.idle_stop);
                                      });
    }
    MutexLock lock(m_mutex);
    const auto deadline = std::chrono::steady_clock::now() + tick;
    while (!m_stopping && m_wake.wait_until(m_mutex, deadline)) {
    }
    if (m_stopping) return;
  }
}

}  // namespace statefun::emulator
