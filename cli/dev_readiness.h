// Whether a `statefun dev` started by a tool (`statefun test`) is ready for
// its first message: judged from its /v1/status and the function processes
// its statefun.yaml names. A process the status does not list yet counts as
// not ready: the admin API answers before the supervisor has started any
// process, and a message sent then would wait for a process that a clock
// advance sent next does not wait for.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "cli/output.h"

namespace statefun::cli {

struct DevReady {};
struct DevNotReady {
  std::string why;  // "function process functions is starting"
};
struct DevCannotStart {
  std::string why;  // "function process functions exited with code 1"
};
using DevReadiness = std::variant<DevReady, DevNotReady, DevCannotStart>;

DevReadiness dev_readiness(const Json& status, const std::vector<std::string>& expected_processes);

}  // namespace statefun::cli
