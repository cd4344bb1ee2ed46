// Resolving a host and starting a non-blocking TCP connect (TCP_NODELAY), or
// a connect to a Unix socket file: the socket calls behind the loop function
// client's connections and the load generator's. Nothing here knows HTTP.
#pragma once

#include <sys/socket.h>

#include <optional>
#include <string>
#include <vector>

namespace statefun::detail {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  bool operator==(const SocketAddress& other) const;
};

// Every TCP address of host:port, in getaddrinfo's order; empty when the name
// does not resolve. Blocks while resolving, which is acceptable for function
// hosts: IP literals, localhost or names from /etc/hosts.
std::vector<SocketAddress> resolve_tcp(const std::string& host, int port);

// The address of a Unix socket file; nullopt when the path does not fit in
// sockaddr_un (about 107 bytes) or is empty.
std::optional<SocketAddress> unix_socket_address(const std::string& path);

struct ConnectStart {
  int fd = -1;             // the caller owns it when >= 0
  bool connected = false;  // done at once; otherwise wait for EPOLLOUT, then connect_result()
  int error = 0;           // errno when fd < 0
};

// Opens a non-blocking, close-on-exec socket (TCP with TCP_NODELAY, or
// AF_UNIX, as `address` says) and starts connecting it to `address`.
ConnectStart start_connect(const SocketAddress& address);

// Once a connecting socket reports EPOLLOUT or EPOLLERR: 0 when connected,
// else the errno that failed the connect.
int connect_result(int fd);

}  // namespace statefun::detail
