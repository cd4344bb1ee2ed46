#include "emulator/admin_http.h"

#include <nlohmann/json.hpp>

#include "emulator/listener.h"

namespace statefun::emulator {

AdminApi::AdminApi(Dispatcher& dispatcher, AdminFacts facts)
    : m_dispatcher(dispatcher),
      m_facts(std::move(facts)),
      m_listener(std::make_unique<Listener>("admin API", 8)) {
  auto& server = m_listener->server();
  server.Get("/v1/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"ok\":true}\n", "application/json");
  });
  server.Get("/v1/status", [this](const httplib::Request&, httplib::Response& res) {
    const auto s = m_dispatcher.status();
    nlohmann::json body = {
        {"version", m_facts.version},
        {"module", m_facts.module_path},
        {"data", m_facts.data_dir},
        {"ingress_port", m_facts.ingress_port},
        {"egress_port", m_facts.egress_port},
        {"pending", s.pending},
        {"in_flight", s.in_flight},
        {"unroutable", s.unroutable},
        {"timers", s.timers},
        {"steps", s.steps},
        {"failing", s.failing},
        {"idle", s.pending == 0 && s.in_flight == 0},
    };
    res.set_content(body.dump() + "\n", "application/json");
  });
}

AdminApi::~AdminApi() = default;
Result<int> AdminApi::start(const std::string& host, int port) {
  return m_listener->start(host, port);
}
void AdminApi::stop() { m_listener->stop(); }

void AdminApi::set_ports(int ingress_port, int egress_port) {
  m_facts.ingress_port = ingress_port;
  m_facts.egress_port = egress_port;
}

}  // namespace statefun::emulator
