#include "emulator/processes/ready_probe.h"

#include <fcntl.h>
#include <httplib.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "emulator/config/http_url.h"

namespace statefun::emulator {
namespace {

bool connect_within(const addrinfo& address, std::chrono::milliseconds timeout) {
  const int fd = ::socket(address.ai_family, address.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                          address.ai_protocol);
  if (fd < 0) return false;
  bool connected = ::connect(fd, address.ai_addr, address.ai_addrlen) == 0;
  if (!connected && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) == 1) {
      int error = 0;
      socklen_t length = sizeof error;
      connected = ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0;
    }
  }
  ::close(fd);
  return connected;
}

}  // namespace

bool tcp_accepting(const std::string& host, int port, std::chrono::milliseconds timeout) {
  // A server bound to every interface is reached through loopback.
  const std::string target = host == "0.0.0.0" || host == "::" ? "localhost" : host;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(target.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) {
    return false;
  }
  bool accepting = false;
  for (addrinfo* a = found; a && !accepting; a = a->ai_next)
    accepting = connect_within(*a, timeout);
  ::freeaddrinfo(found);
  return accepting;
}

bool http_ready(const std::string& url, std::chrono::milliseconds timeout) {
  auto parts = parse_url(url);
  if (!parts) return false;
  httplib::Client client(parts->origin());
  const auto seconds = timeout.count() / 1000;
  const auto micros = (timeout.count() % 1000) * 1000;
  client.set_connection_timeout(seconds, micros);
  client.set_read_timeout(seconds, micros);
  client.set_write_timeout(seconds, micros);
  auto response = client.Get(parts->request_target());
  return response && response->status >= 200 && response->status < 400;
}

}  // namespace statefun::emulator
