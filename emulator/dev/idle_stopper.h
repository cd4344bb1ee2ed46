// Stops function processes that say `start: on-demand` and `idle_stop:` in
// statefun.yaml once no call used them for that long (scale to zero). A
// thread looks a few times per idle_stop at each such process that serves,
// asks the dispatcher to close its gate if idle (nothing routed through it
// queued or on the wire, no call for idle_stop: Dispatcher::close_gate_if_idle),
// and only once the gate is shut stops the process (Supervisor::stop_idle).
// So no call is ever cut off, and a message arriving later waits behind the
// closed gate, which starts the process again (DevLoop::on_gate_waiting).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "emulator/processes/supervisor.h"
#include "runtime/core/thread_annotations.h"
#include "runtime/engine/dispatcher.h"

namespace statefun::emulator {

class IdleStopper {
 public:
  struct Target {
    std::string process;  // its name, which is its gate's name
    std::chrono::milliseconds idle_stop{0};
  };
  // The processes to watch now: those with idle_stop that serve (ready or
  // running). Called on the stopper's thread.
  using Targets = std::function<std::vector<Target>()>;

  // Both must outlive stop().
  IdleStopper(Dispatcher& dispatcher, Supervisor& supervisor, Targets targets);
  ~IdleStopper();  // stop()
  IdleStopper(const IdleStopper&) = delete;
  IdleStopper& operator=(const IdleStopper&) = delete;

  void stop();

  // How often a process with this idle_stop is looked at: a quarter of it,
  // from 50 ms to 1 s, so it stops at most that much late.
  static std::chrono::milliseconds tick_for(std::chrono::milliseconds idle_stop);

 private:
  void run();

  Dispatcher& m_dispatcher;
  Supervisor& m_supervisor;
  Targets m_targets;
  Mutex m_mutex;
  CondVar m_wake;
  bool m_stopping STATEFUN_GUARDED_BY(m_mutex) = false;
  std::thread m_thread;  // last: starts once everything above exists
};

}  // namespace statefun::emulator
