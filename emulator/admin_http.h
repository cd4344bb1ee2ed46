// The admin API of `statefun dev`: JSON over HTTP on 127.0.0.1 (default
// port 8092). Send messages, read and edit state, list/cancel/fire timers,
// read egress without consuming it, the step trace, wait until idle,
// status, health, Prometheus metrics and a server-sent-events stream of
// steps. Every route is documented in docs/admin-api.md.
//
// When `token` is set (from STATEFUN_ADMIN_TOKEN), every request must carry
// `Authorization: Bearer <token>`; others get 401.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/dispatcher.h"

namespace statefun::emulator {

class Listener;
class EventHub;
namespace admin {
struct Context;
}

// Facts about the running emulator that /v1/status reports besides counters.
struct AdminFacts {
  std::string version;
  std::string module_path;
  std::string data_dir;
  int ingress_port = 0;
  int egress_port = 0;
  std::string token;  // empty: no authentication
  // module.yaml's endpoints: (function pattern, URL template).
  std::vector<std::pair<std::string, std::string>> functions;
  std::vector<std::string> egress_topics;  // the playground egress's topics
  int admin_port = 0;
};

// The bearer token `statefun dev` and the CLI use: $STATEFUN_ADMIN_TOKEN.
std::string admin_token_from_env();

class AdminApi {
 public:
  // `hub` must be the dispatcher's observer (it feeds metrics and events).
  AdminApi(Dispatcher& dispatcher, EventHub& hub, AdminFacts facts);
  ~AdminApi();
  // Opens a read-only view of the state database (it must exist by then)
  // and starts serving. Returns the bound port.
  Result<int> start(const std::string& host, int port);
  // Ends event streams and long polls, then stops serving.
  void stop();
  // Called once the other surfaces are bound (their ports are known then).
  void set_ports(int ingress_port, int egress_port);

 private:
  AdminFacts m_facts;
  std::unique_ptr<admin::Context> m_context;
  std::unique_ptr<Listener> m_listener;
};

}  // namespace statefun::emulator
