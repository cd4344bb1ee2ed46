#include "emulator/config/http_url.h"

namespace statefun::emulator {

std::string map_host(const std::string& url, const std::map<std::string, std::string>& hosts) {
  auto parts = parse_url(url);
  if (!parts) return url;
  auto it = hosts.find(parts->host);
  if (it == hosts.end()) return url;
  if (it->second.starts_with(kUnixTarget)) {
    const std::string socket = it->second.substr(kUnixTarget.size());
    const std::string path = parts->target.empty() || parts->target.starts_with('/')
                                 ? parts->target
                                 : "/" + parts->target;
    return parts->scheme + "+unix://" + socket + path;
  }
  // The target is "host" or "host:port"; the URL grammar reads the latter.
  auto target = parse_url(parts->scheme + "://" + it->second);
  if (!target) return url;
  parts->host = target->host;
  if (target->explicit_port) {
    parts->port = target->port;
    parts->explicit_port = true;
  }
  return parts->str();
}

bool is_local_host(std::string_view host) {
  return host == "localhost" || host.starts_with("127.") || host == "::1" || host == "0.0.0.0" ||
         host == "::" || host.ends_with(".localhost");
}

bool is_cluster_host_name(std::string_view host) {
  if (host.empty() || is_local_host(host) || host.find(':') != std::string_view::npos) {
    return false;
  }
  return host.find('.') == std::string_view::npos || host.ends_with(".local") ||
         host.ends_with(".internal");
}

}  // namespace statefun::emulator
