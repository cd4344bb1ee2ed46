// The little URL handling `statefun dev` needs for function endpoints:
// split http(s)://host:port/path, apply the statefun.yaml `hosts` map, and
// tell whether two hosts both mean this machine.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace statefun::emulator {

struct HttpUrl {
  std::string scheme;  // http or https
  std::string host;    // without brackets for IPv6
  int port = 0;        // 80/443 when the URL has none
  std::string path;    // from the first '/', may be empty
  bool explicit_port = false;

  std::string str() const;
};

// nullopt unless `url` is http:// or https:// with a host and a valid port.
std::optional<HttpUrl> parse_http_url(std::string_view url);

// `url` with its host replaced as `hosts` says ("functions" -> "localhost"
// or "localhost:8001"). URLs whose host is not in the map, or that do not
// parse, come back unchanged.
std::string map_host(const std::string& url, const std::map<std::string, std::string>& hosts);

// localhost, 127.0.0.0/8, ::1, 0.0.0.0 and ::.
bool is_local_host(std::string_view host);

}  // namespace statefun::emulator
