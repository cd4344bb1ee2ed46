#include "cli/dev_readiness.h"

#include <fmt/format.h>

#include <algorithm>

namespace statefun::cli {

DevReadiness dev_readiness(const Json& status, const std::vector<std::string>& expected_processes) {
  const Json& listed = status.contains("processes") ? status["processes"] : Json::array();
  for (const auto& name : expected_processes) {
    const auto found = std::find_if(listed.begin(), listed.end(), [&](const Json& p) {
      return p.value("name", std::string()) == name;
    });
    if (found == listed.end()) {
      return DevNotReady{fmt::format("function process {} has not started", name)};
    }
  }
  for (const auto& p : listed) {
    const std::string name = p.value("name", std::string());
    const std::string state = p.value("state", std::string());
    const std::string last_exit = p.contains("last_exit") && p["last_exit"].is_string()
                                      ? p["last_exit"].get<std::string>()
                                      : std::string();
    // A test has no one to fix and save the code: a process that exited
    // before the app was ready fails the scenario now (with the dev's log,
    // which says why), not after the start-up time-out.
    if (state == "install_failed" || state == "cannot_start") {
      return DevCannotStart{fmt::format("function process {} is {}{}", name, state,
                                        last_exit.empty() ? "" : " (" + last_exit + ")")};
    }
    if (!last_exit.empty()) {
      return DevCannotStart{fmt::format("function process {} {}", name, last_exit)};
    }
    // An on-demand process is "idle" until a message for it starts it.
    if (state != "ready" && state != "running" && state != "idle") {
      return DevNotReady{fmt::format("function process {} is {}", name, state)};
    }
  }
  return DevReady{};
}

}  // namespace statefun::cli
