// `statefun dev`: loads module.yaml, opens the state database, starts the
// engine and the HTTP surfaces, and runs until told to stop.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "emulator/config/default_ports.h"
#include "emulator/config/dev_config.h"
#include "emulator/console/console.h"
#include "emulator/dev/snapshot_keeper.h"
#include "runtime/store/store.h"

namespace statefun::emulator {

struct DevOptions {
  std::string module_path = "module.yaml";
  // Where the state database lives; default `.statefun/` beside module.yaml.
  std::optional<std::string> data_dir;
  // Interface for the playground ingress/egress. Anything but loopback is
  // announced loudly.
  std::string listen_host = "127.0.0.1";
  int admin_port = kDefaultAdminPort;            // always on 127.0.0.1
  std::optional<int> ingress_port, egress_port;  // override module.yaml
  int function_client_workers = 8;               // replay dry runs: their calls in flight at once
  bool synchronous_full = false;                 // fsync every group commit (power-loss safe)
  // How much history, trace and consumed messages the database keeps.
  RetentionPolicy retention;
  // When a failing message moves to the dead letters (default: never).
  RetryPolicy retry;
  // Automatic snapshots (off by default).
  SnapshotPolicy snapshots;
  std::chrono::steady_clock::time_point started_at = std::chrono::steady_clock::now();
  // statefun.yaml as loaded with `overrides` applied: the function processes
  // to start and the hosts map (none of either without a statefun.yaml).
  DevConfig dev_config;
  // The statefun.yaml to watch (it may not exist yet) and what the command
  // line decided, applied again whenever it changes.
  std::string config_path;
  DevOverrides overrides;
  // Restart processes when their files change and reload module.yaml and
  // statefun.yaml when they change.
  bool watch_files = true;
  // --clock virtual: the application's time stands still at `clock_start_ms`
  // (default: where a virtual clock stopped last on this data directory,
  // else now) and moves only through the admin API (`statefun clock`).
  bool virtual_clock = false;
  std::optional<int64_t> clock_start_ms;
  // `kafka: connect`: Kafka ingresses read from, and Kafka egresses write
  // to, the broker at their module.yaml address (emulator/kafka/).
  bool kafka_connect = false;
};

// Runs the emulator. `wait_for_shutdown` blocks until the user asks to stop
// (SIGINT/SIGTERM); then everything done so far is committed and the process
// can exit. Returns the process exit code (0 ok, 1 failure, including a
// state database that failed while running, even when stopped by SIGTERM).
int run_dev(const DevOptions& options, Console& console,
            const std::function<void()>& wait_for_shutdown);

// The data directory for a module file when none is given.
std::string default_data_dir(const std::string& module_path);

}  // namespace statefun::emulator
