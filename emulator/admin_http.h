// The admin API of `statefun dev` (JSON over HTTP, 127.0.0.1 by default).
// Today: GET /v1/health and GET /v1/status; docs/admin-api.md lists it all.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "runtime/dispatcher.h"

namespace statefun::emulator {

class Listener;

// Facts about the running emulator that /v1/status reports besides counters.
struct AdminFacts {
  std::string version;
  std::string module_path;
  std::string data_dir;
  int ingress_port = 0;
  int egress_port = 0;
};

class AdminApi {
 public:
  AdminApi(Dispatcher& dispatcher, AdminFacts facts);
  ~AdminApi();
  Result<int> start(const std::string& host, int port);
  void stop();
  // Called once the other surfaces are bound (their ports are known then).
  void set_ports(int ingress_port, int egress_port);

 private:
  Dispatcher& m_dispatcher;
  AdminFacts m_facts;
  std::unique_ptr<Listener> m_listener;
};

}  // namespace statefun::emulator
