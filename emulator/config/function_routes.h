// How `statefun dev` reaches each function type: module.yaml's endpoint for
// it, the endpoint URL with statefun.yaml's `hosts` map applied (so a
// module.yaml written for a cluster runs unchanged), and the gate of the
// function process serving that URL, which holds messages back until the
// process is ready.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "emulator/config/dev_config.h"
#include "emulator/config/module_config.h"
#include "runtime/engine/dispatcher.h"

namespace statefun::emulator {

// An immutable snapshot; a reload builds a new one.
struct RouteTable {
  std::shared_ptr<const ModuleConfig> module;
  std::map<std::string, std::string> hosts;
  std::vector<ProcessSpec> processes;
  // DevConfig::moved_ports: a URL that reaches one of these ports on this
  // machine (after `hosts`) reaches the process's new port instead.
  std::map<int, int> moved_ports;
  // statefun.yaml `tls:`, over module.yaml's TLS fields (endpoint_tls.h).
  DevTls tls;

  // nullopt when no endpoint serves `type`.
  std::optional<FunctionRoute> resolve(const FunctionType& type) const;
};

// The hosts map routes use: `config.hosts`, plus, with
// `config.one_process_port` (`statefun dev -- CMD`), every module.yaml
// endpoint host that is a cluster name and not in it mapped to
// localhost:<port>, so a project made for a cluster runs without --host.
std::map<std::string, std::string> hosts_for(const ModuleConfig& module, const DevConfig& config);

// One endpoint as the banner shows it.
struct EndpointRoute {
  std::string functions;  // "example/*" as written
  std::string url;        // after the hosts map ({function.name} kept)
  std::string process;    // the process serving it; empty if none of ours
};
std::vector<EndpointRoute> describe_routes(const RouteTable& table);

// The process whose url/port is the host and port of `url` (every local
// host name counts as the same), or nullptr. Process URLs go through
// `hosts` too.
const ProcessSpec* process_serving(const std::string& url,
                                   const std::vector<ProcessSpec>& processes,
                                   const std::map<std::string, std::string>& hosts);

// A resolver that keeps `table` alive as long as the dispatcher uses it.
RouteResolver make_resolver(std::shared_ptr<const RouteTable> table);

}  // namespace statefun::emulator
