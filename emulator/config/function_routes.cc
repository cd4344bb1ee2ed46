#include "emulator/config/function_routes.h"

#include "emulator/config/endpoint_tls.h"
#include "emulator/config/http_url.h"

namespace statefun::emulator {
namespace {

struct Place {
  std::string host;
  int port = 0;
};

std::optional<Place> place_of(const ProcessSpec& process,
                              const std::map<std::string, std::string>& hosts) {
  if (!process.url.empty()) {
    if (auto url = parse_url(map_host(process.url, hosts))) return Place{url->host, url->port};
  }
  if (process.port) return Place{"localhost", *process.port};
  return std::nullopt;
}

// `url` after the hosts map, and on a moved port's new one (--process-port)
// when it reaches this machine.
std::string local_url(const std::string& url, const RouteTable& table) {
  std::string mapped = map_host(url, table.hosts);
  if (table.moved_ports.empty()) return mapped;
  auto parts = parse_url(mapped);
  if (!parts || !is_local_host(parts->host)) return mapped;
  auto moved = table.moved_ports.find(parts->port);
  if (moved == table.moved_ports.end()) return mapped;
  parts->port = moved->second;
  parts->explicit_port = true;
  return parts->str();
}

}  // namespace

const ProcessSpec* process_serving(const std::string& url,
                                   const std::vector<ProcessSpec>& processes,
                                   const std::map<std::string, std::string>& hosts) {
  auto target = parse_url(url);
  if (!target) return nullptr;
  for (const auto& process : processes) {
    auto place = place_of(process, hosts);
    if (!place || place->port != target->port) continue;
    if (place->host == target->host ||
        (is_local_host(place->host) && is_local_host(target->host))) {
      return &process;
    }
  }
  return nullptr;
}

std::optional<FunctionRoute> RouteTable::resolve(const FunctionType& type) const {
  const HttpEndpointSpec* endpoint = module->endpoint_for(type.ns, type.name);
  if (!endpoint) return std::nullopt;
  FunctionRoute route;
  route.url = local_url(endpoint->url_for(type.name), *this);
  if (const ProcessSpec* process = process_serving(route.url, processes, hosts)) {
    route.gate = process->name;
  }
  route.max_batch = endpoint->max_num_batch_requests;
  route.call.connect_timeout = endpoint->connect_timeout;
  route.call.attempt_timeout = endpoint->call_timeout;
  route.call.max_response_bytes = static_cast<std::size_t>(endpoint->payload_max_bytes);
  // check_endpoint_tls passed before this table was made, so this resolves.
  if (auto tls = endpoint_tls(*endpoint, module->path, this->tls)) route.call.tls = *tls;
  return route;
}

std::map<std::string, std::string> hosts_for(const ModuleConfig& module, const DevConfig& config) {
  std::map<std::string, std::string> hosts = config.hosts;
  if (config.one_process_port) {
    for (const auto& endpoint : module.endpoints) {
      auto url = parse_url(endpoint.url_path_template);
      if (!url || hosts.contains(url->host) || !is_cluster_host_name(url->host)) continue;
      hosts[url->host] = "localhost:" + std::to_string(*config.one_process_port);
    }
  }
  return hosts;
}

std::vector<EndpointRoute> describe_routes(const RouteTable& table) {
  std::vector<EndpointRoute> routes;
  for (const auto& endpoint : table.module->endpoints) {
    EndpointRoute route{endpoint.functions, local_url(endpoint.url_path_template, table), ""};
    if (const ProcessSpec* process = process_serving(route.url, table.processes, table.hosts)) {
      route.process = process->name;
    }
    routes.push_back(std::move(route));
  }
  return routes;
}

RouteResolver make_resolver(std::shared_ptr<const RouteTable> table) {
  return [table = std::move(table)](const FunctionType& type) { return table->resolve(type); };
}

}  // namespace statefun::emulator
