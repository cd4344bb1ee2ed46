#include "runtime/net/tcp_connect.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

namespace statefun::detail {

bool SocketAddress::operator==(const SocketAddress& other) const {
  return length == other.length && std::memcmp(&storage, &other.storage, length) == 0;
}

std::vector<SocketAddress> resolve_tcp(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return {};
  std::vector<SocketAddress> addresses;
  for (const addrinfo* entry = found; entry != nullptr; entry = entry->ai_next) {
    if (entry->ai_addrlen > sizeof(sockaddr_storage)) continue;
    SocketAddress address;
    std::memcpy(&address.storage, entry->ai_addr, entry->ai_addrlen);
    address.length = entry->ai_addrlen;
    addresses.push_back(address);
  }
  ::freeaddrinfo(found);
  return addresses;
}

std::optional<SocketAddress> unix_socket_address(const std::string& path) {
  sockaddr_un unix_address{};
  // One byte stays for the terminating NUL the kernel expects of a path.
  if (path.empty() || path.size() >= sizeof(unix_address.sun_path)) return std::nullopt;
  unix_address.sun_family = AF_UNIX;
  std::memcpy(unix_address.sun_path, path.data(), path.size());
  SocketAddress address;
  std::memcpy(&address.storage, &unix_address, sizeof(unix_address));
  address.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return address;
}

ConnectStart start_connect(const SocketAddress& address) {
  ConnectStart start;
  const bool is_unix = address.storage.ss_family == AF_UNIX;
  const int fd = ::socket(address.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                          is_unix ? 0 : IPPROTO_TCP);
  if (fd < 0) {
    start.error = errno;
    return start;
  }
  // A request that needs more than one segment must not wait for the
  // peer's delayed ACK (~40 ms) before its tail goes out. (A Unix socket
  // has no Nagle to turn off.)
  const int one = 1;
  if (!is_unix) ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  const int result =
      ::connect(fd, reinterpret_cast<const sockaddr*>(&address.storage), address.length);
  if (result == 0 || errno == EINPROGRESS) {
    start.fd = fd;
    start.connected = result == 0;
    return start;
  }
  start.error = errno;
  ::close(fd);
  return start;
}

int connect_result(int fd) {
  int error = 0;
  socklen_t length = sizeof(error);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return errno;
  return error;
}

}  // namespace statefun::detail
