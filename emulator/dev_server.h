// `statefun dev`: loads module.yaml, opens the state database, starts the
// engine and the HTTP surfaces, and runs until told to stop.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "emulator/console.h"

namespace statefun::emulator {

struct DevOptions {
  std::string module_path = "module.yaml";
  // Where the state database lives; default `.statefun/` beside module.yaml.
  std::optional<std::string> data_dir;
  // Interface for the playground ingress/egress. Anything but loopback is
  // announced loudly.
  std::string listen_host = "127.0.0.1";
  int admin_port = 8092;                         // always on 127.0.0.1
  std::optional<int> ingress_port, egress_port;  // override module.yaml
  int function_client_workers = 64;              // requests in flight at once
  bool synchronous_full = true;                  // fsync every group commit
  std::chrono::steady_clock::time_point started_at = std::chrono::steady_clock::now();
};

// Runs the emulator. `wait_for_shutdown` blocks until the user asks to stop
// (SIGINT/SIGTERM); then everything done so far is committed and the process
// can exit. Returns the process exit code (0 ok, 1 failure).
int run_dev(const DevOptions& options, Console& console,
            const std::function<void()>& wait_for_shutdown);

// The data directory for a module file when none is given.
std::string default_data_dir(const std::string& module_path);

}  // namespace statefun::emulator
