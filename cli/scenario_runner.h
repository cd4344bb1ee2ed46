// Runs one scenario of `statefun test` (emulator/config/scenario_file.h)
// against a fresh `statefun dev` of its own: a temporary data directory, free
// ports (the function processes of statefun.yaml moved to free ports too, so
// scenarios run side by side), a virtual clock. Steps talk to it through the
// admin API; every expectation first waits until the application is idle.
// The first failing step ends the scenario; the dev is always stopped.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "emulator/config/scenario_file.h"

namespace statefun::cli {

struct ScenarioRunOptions {
  std::string module_path;                 // the app's module.yaml
  std::string config_path;                 // its statefun.yaml; empty when it has none
  std::vector<std::string> process_names;  // statefun.yaml's processes
  std::string work_dir;                    // this scenario's own, existing, directory
  // A data directory's `installs/` records to start from, so install steps
  // that already ran (for an earlier scenario) do not run again.
  std::string installs_from;
  std::string clock_start = "2030-01-01T00:00:00Z";  // unless the scenario says
  std::chrono::milliseconds wait_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds startup_timeout{std::chrono::minutes(5)};
};

struct ScenarioResult {
  bool passed = false;
  double ready_seconds = 0;  // starting statefun dev until its processes were ready
  double seconds = 0;        // the steps, after that
  // On failure: "step 3 (expect egress, line 12): ..." and the details
  // (differences, what was there instead), and the end of the dev's log.
  std::string failure;
  std::vector<std::string> details;
  std::string log_tail;
};

ScenarioResult run_scenario(const emulator::Scenario& scenario, const ScenarioRunOptions& options);

}  // namespace statefun::cli
