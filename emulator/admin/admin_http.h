// The admin API of `statefun dev`: JSON over HTTP on 127.0.0.1 (default
// port 8092). Send messages, read and edit state, list/cancel/fire timers,
// read egress without consuming it, the step trace, wait until idle,
// status, health, Prometheus metrics, a server-sent-events stream of
// steps, and time travel: state history, rewind, replay and snapshots.
// Every route is documented in docs/admin-api.md.
//
// When `token` is set (from STATEFUN_ADMIN_TOKEN), every request must carry
// `Authorization: Bearer <token>`; others get 401. Without a token, requests
// under a Host that is not a loopback name and cross-origin writes get 403,
// and writes with a body that is not application/json get 415
// (emulator/surfaces/request_guard.h).
//
// Event streams and long polls hold a LongRequest (listener.h): however many
// there are, other requests keep the whole worker pool.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "emulator/config/module_config.h"
#include "emulator/kafka/kafka_status.h"
#include "emulator/processes/supervisor.h"
#include "runtime/engine/dispatcher.h"

namespace statefun::emulator {

class Listener;
class EventHub;
class SnapshotKeeper;
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
  int64_t retention_bytes = 0;   // the size cap of trace and consumed messages (0 = none)
  int64_t retention_age_ms = 0;  // ... and their age limit (0 = none)
  // The time the application sees (the virtual clock under --clock virtual);
  // nullptr: the system clock. Owned by statefun dev.
  const Clock* clock = nullptr;
  bool virtual_clock = false;  // /v1/clock/advance and /set move it
};

// What the admin API needs from `statefun dev` beyond the dispatcher, for
// replay previews and snapshots. Routes whose hook is missing answer 503.
struct AdminHooks {
  // The route of a function type as statefun dev resolves it right now.
  std::function<std::optional<FunctionRoute>(const FunctionType&)> route;
  FunctionClient* client = nullptr;  // for replay dry runs; owned by statefun dev
  // How statefun dev routes egress right now (replay dry runs check it).
  EgressRouter route_egress;
  SnapshotKeeper* snapshots = nullptr;
  // The function processes statefun dev runs, for /v1/status (none when
  // missing).
  std::function<std::vector<ProcessStatus>()> processes;
  // The Kafka ingresses and egresses of `kafka: connect` mode, for
  // /v1/status (none when missing).
  std::function<std::vector<kafka::LinkStatus>()> kafka;
  // Replaces the live database with the snapshot file at `snapshot_path`:
  // closes the current store, installs the file and opens it. Runs on the
  // engine thread inside Dispatcher::restore, with everything committed.
  // Returns the store to use from now on: the reopened old database, with
  // `failed` set, when the snapshot could not be installed; an error only
  // when no database can be opened at all.
  std::function<Result<Store*>(const std::string& snapshot_path, std::optional<Error>& failed)>
      install;
  // module.yaml as statefun dev uses it right now: produced records are
  // routed by its Kafka and Kinesis ingresses. Topic routes answer 503
  // without it.
  std::function<std::shared_ptr<const ModuleConfig>()> module;
  // Tells the developer (the dev console) about something the admin API did
  // that changes what they see, e.g. that a snapshot was restored. Optional.
  std::function<void(const std::string& line)> announce;
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
  // Before start(): what time travel and snapshots need (see AdminHooks).
  void set_hooks(AdminHooks hooks);

 private:
  AdminFacts m_facts;
  std::unique_ptr<admin::Context> m_context;
  std::unique_ptr<Listener> m_listener;
};

}  // namespace statefun::emulator
