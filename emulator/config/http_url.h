// How statefun dev relates function URLs to this machine: statefun.yaml's
// `hosts` map applied to a URL, and which hosts mean this machine. URLs
// themselves are read by runtime/core/url.h (parse_url), as everywhere else.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "runtime/core/url.h"

namespace statefun::emulator {

// statefun.yaml `hosts: {functions: unix:/tmp/f.sock}`: a target that is a
// Unix socket file rather than a host.
inline constexpr std::string_view kUnixTarget = "unix:";

// `url` with its host replaced as `hosts` says ("functions" -> "localhost"
// or "localhost:8001"). A "unix:<socket file>" target makes it a Unix socket
// URL: http://functions:8000/statefun -> http+unix:///tmp/f.sock/statefun
// (https -> https+unix). URLs whose host is not in the map, or that do not
// parse, come back unchanged.
std::string map_host(const std::string& url, const std::map<std::string, std::string>& hosts);

// localhost, 127.0.0.0/8, ::1, 0.0.0.0 and ::.
bool is_local_host(std::string_view host);

// A name that only means something inside a cluster: one label
// (`functions`, a docker-compose service) or a name under `.local`,
// `.internal` or `.cluster.local`. Such a host does not resolve on a laptop,
// so statefun dev may map it to this machine; a name like
// `api.example.com` is taken for a real machine.
bool is_cluster_host_name(std::string_view host);

}  // namespace statefun::emulator
