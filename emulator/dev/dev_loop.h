// Keeps a running `statefun dev` in step with the project:
//  - starts the function processes of statefun.yaml, holds each one's
//    messages back until it is ready, and restarts it when one of its
//    watched files changes (hot reload);
//  - re-reads module.yaml and statefun.yaml when they change: routes are
//    swapped in the dispatcher and changed processes restarted, without a
//    restart of statefun dev; what only a restart can change (ports, data
//    directory, egress topics) is announced as such; a file that no longer
//    parses is reported and the previous configuration stays.
//
// Threading: reloads and hot reloads run on the file watcher's thread;
// process events on the supervisor's threads. Public methods are for the
// thread that runs `statefun dev`.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "emulator/config/dev_config.h"
#include "emulator/config/function_routes.h"
#include "emulator/config/module_config.h"
#include "emulator/console/console.h"
#include "emulator/dev/idle_stopper.h"
#include "emulator/processes/file_watcher.h"
#include "emulator/processes/supervisor.h"
#include "runtime/core/thread_annotations.h"
#include "runtime/engine/dispatcher.h"

namespace statefun::emulator {

class EgressRoutes;

struct DevLoopOptions {
  std::string module_path;  // watched
  std::string config_path;  // statefun.yaml, watched even before it exists
  DevOverrides overrides;   // applied again at every reload
  std::shared_ptr<const ModuleConfig> module;
  DevConfig config;  // statefun.yaml (or nothing) with the overrides applied
  std::chrono::steady_clock::time_point started_at = std::chrono::steady_clock::now();
  bool watch_files = true;  // hot reload and configuration reload
  // Kafka egress records reach the Kafka ingresses reading their topic
  // (emulated topics); false in connect mode, where the broker carries them.
  bool feed_kafka_topics = true;
  SupervisorOptions supervisor;
};

class DevLoop final : public ProcessObserver {
 public:
  DevLoop(DevLoopOptions options, Console& console);
  ~DevLoop() override;  // stop()
  DevLoop(const DevLoop&) = delete;
  DevLoop& operator=(const DevLoop&) = delete;

  // For the dispatcher's options; reloads replace both via reconfigure().
  RouteResolver resolver() const;
  EgressRouter egress_router() const;
  // module.yaml as last (re)loaded: the Kafka and Kinesis ingresses route
  // produced records by it (emulator/topics/).
  std::shared_ptr<const ModuleConfig> module() const;
  // The gates of the processes, closed until each is ready.
  std::vector<std::string> closed_gates() const;
  // For the banner.
  std::vector<Banner::Route> routes() const;

  // Starts the processes and the file watches. `dispatcher` must outlive
  // stop().
  void start(Dispatcher& dispatcher);
  // Stops watching and stops every process (children never outlive us).
  void stop();

  // Thread-safe, from any thread: what `statefun status` shows of each
  // process (empty before start() and after stop()), and what one printed
  // since a time (Supervisor::output_since; for failed calls).
  std::vector<ProcessStatus> processes() const;
  std::vector<OutputLine> output_since(const std::string& process, int64_t since_ms) const;

  // For DispatcherOptions::on_gate_waiting (the engine's thread): a message
  // waits behind the gate of a process; one that is down because idle
  // (`start: on-demand`) starts now. Before start(), remembered until then.
  void on_gate_waiting(const std::string& gate, const FunctionType& type);

  // ProcessObserver: output and events go to the console, readiness opens
  // and closes the gates.
  void on_output(const std::string& process, OutputStream stream, std::string_view line) override;
  void on_process_event(const ProcessEvent& event) override;
  void on_ready(const std::string& process, bool ready) override;

 private:
  struct Snapshot {  // one consistent configuration
    std::shared_ptr<const ModuleConfig> module;
    DevConfig config;
    std::shared_ptr<const RouteTable> routes;
    std::shared_ptr<const EgressRoutes> egress;
  };
  static std::shared_ptr<const Snapshot> make_snapshot(std::shared_ptr<const ModuleConfig> module,
                                                       DevConfig config);
  // Validates egress records by the snapshot's module.yaml and routes those
  // an ingress reads back into their topic (topic_feedback.h).
  EgressRouter make_egress_router(const Snapshot& snapshot) const;
  void warn_about_cluster_hosts() const;
  void watch_configuration();
  void watch_processes(const std::vector<ProcessSpec>& processes);
  void reload(const std::string& what_changed);
  void announce_restart_needed(const Snapshot& before, const Snapshot& after);
  std::vector<IdleStopper::Target> idle_targets() const;

  DevLoopOptions m_options;
  Console& m_console;
  Dispatcher* m_dispatcher = nullptr;
  std::unique_ptr<Supervisor> m_supervisor;
  // m_supervisor as other threads may use it: set once it exists, cleared
  // before it goes away (stop() runs only after the dispatcher stopped).
  std::atomic<Supervisor*> m_live_supervisor{nullptr};
  std::unique_ptr<FileWatcher> m_watcher;
  std::unique_ptr<IdleStopper> m_idle_stopper;

  mutable Mutex m_mutex;
  std::shared_ptr<const Snapshot> m_snapshot STATEFUN_GUARDED_BY(m_mutex);
  // process name -> (watch subscription, what it watches)
  std::map<std::string, std::pair<int, std::pair<std::string, std::vector<std::string>>>>
      m_process_watches STATEFUN_GUARDED_BY(m_mutex);
  std::set<std::string> m_ready STATEFUN_GUARDED_BY(m_mutex);
  bool m_all_ready_said STATEFUN_GUARDED_BY(m_mutex) = false;
  // on_gate_waiting before start(): gate -> why (started by start()).
  std::map<std::string, std::string> m_wanted STATEFUN_GUARDED_BY(m_mutex);
  bool m_started STATEFUN_GUARDED_BY(m_mutex) = false;
  std::mutex m_reload_mutex;  // one reload at a time
};

}  // namespace statefun::emulator
