// How the supervisor tells that a function process serves requests, and
// that a port is taken before it starts one there.
#pragma once

#include <chrono>
#include <string>

namespace statefun::emulator {

// True when something accepts a TCP connection on host:port (every address
// the host resolves to is tried) within `timeout`.
bool tcp_accepting(const std::string& host, int port, std::chrono::milliseconds timeout);

// True when GET `url` answers 2xx or 3xx within `timeout`.
bool http_ready(const std::string& url, std::chrono::milliseconds timeout);

}  // namespace statefun::emulator
