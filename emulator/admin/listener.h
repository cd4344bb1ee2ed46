// Internal to emulator/*.cc: an httplib::Server bound to one address and
// served on its own thread. Included only by .cc files, so httplib stays
// out of every public header.
#pragma once

#include <httplib.h>

#include <string>
#include <thread>

#include "runtime/core/result.h"

namespace statefun::emulator {

class Listener {
 public:
  // `label` names the surface in errors, e.g. "playground ingress".
  explicit Listener(std::string label, int worker_threads = 64);
  ~Listener();

  httplib::Server& server() { return m_server; }

  // Binds host:port (port 0 picks a free one) and starts serving. Errors name
  // the surface and the port ("port 8090 (playground ingress) is already in use").
  Result<int> start(const std::string& host, int port);
  void stop();

 private:
  std::string m_label;
  httplib::Server m_server;
  int m_socket = -1;  // the listening socket, once bound
  std::thread m_thread;
};

}  // namespace statefun::emulator
