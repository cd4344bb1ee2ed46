#include "emulator/dev/dev_server.h"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>

#include "emulator/admin/admin_http.h"
#include "emulator/admin/admin_json.h"
#include "emulator/config/endpoint_tls.h"
#include "emulator/config/module_config.h"
#include "emulator/dev/data_lock.h"
#include "emulator/dev/dev_loop.h"
#include "emulator/dev/event_hub.h"
#include "emulator/kafka/kafka_connect.h"
#include "emulator/surfaces/playground_http.h"
#include "emulator/topics/topic_routing.h"
#include "emulator/values/value_codec.h"
#include "runtime/core/size_text.h"
#include "runtime/core/time_text.h"
#include "runtime/engine/dispatcher.h"
#include "runtime/store/snapshots.h"
#include "runtime/store/store.h"

namespace statefun::emulator {
namespace fs = std::filesystem;

namespace {

std::string describe_retention(const RetentionPolicy& retention) {
  std::string bounds;
  if (retention.max_age_ms) {
    bounds = "for " + duration_text(std::chrono::milliseconds(retention.max_age_ms));
  }
  if (retention.max_bytes) {
    bounds += (bounds.empty() ? "up to " : ", up to ") + byte_size_text(retention.max_bytes);
  }
  return fmt::format("{}; trace, consumed messages and read egress {}",
                     retention.history_versions
                         ? fmt::format("{} versions per entity", retention.history_versions)
                         : std::string("every version"),
                     bounds.empty() ? std::string("forever") : bounds);
}

std::string describe_snapshots(const SnapshotPolicy& policy, const std::string& data_dir) {
  if (policy.every.count() == 0 && !policy.on_exit) return "";
  std::string when = policy.every.count() ? "every " + duration_text(policy.every) : "";
  if (policy.on_exit) when += when.empty() ? "at exit" : " and at exit";
  return fmt::format("{}, newest {} kept, in {}", when, policy.keep,
                     (fs::path(data_dir) / "snapshots").string());
}

void print_banner(Console& console, const DevOptions& options, const ModuleConfig& config,
                  const std::string& data_dir, int ingress_port, int egress_port, int admin_port,
                  const DispatcherStatus& recovered, std::vector<Banner::Route> routes,
                  int64_t clock_start_ms, bool clock_resumed) {
  Banner banner;
  banner.version = STATEFUN_VERSION;
  banner.module_path = config.path;
  banner.config_path = options.dev_config.path;
  banner.data_dir = data_dir;
  banner.listen_host = options.listen_host;
  banner.ingress_port = ingress_port;
  banner.egress_port = egress_port;
  if (egress_port) banner.topics = config.playground_egress->topics;
  banner.admin_port = admin_port;
  banner.routes = std::move(routes);
  banner.recovered_messages = recovered.pending + recovered.unroutable;
  banner.recovered_timers = recovered.timers;
  banner.history = describe_retention(options.retention);
  banner.snapshots = describe_snapshots(options.snapshots, data_dir);
  banner.tls_insecure = options.dev_config.tls.insecure_skip_verify;
  if (options.virtual_clock) {
    banner.clock = "virtual, stopped at " + utc_time_text(clock_start_ms) +
                   (clock_resumed ? " (where it stopped last time)" : "");
  }
  console.banner(banner);
}

// `kafka: connect`: a runner per Kafka ingress and egress of module.yaml,
// routing records as the emulated topics do (topic_routing.h). Null when
// not asked for or when module.yaml has no Kafka component.
Result<std::unique_ptr<kafka::KafkaConnect>> make_kafka_connect(
    const DevOptions& options, const ModuleConfig& config, Store& store, Dispatcher& dispatcher,
    const std::string& db_path, Console& console) {
  if (!options.kafka_connect) return nullptr;
  if (config.kafka_ingresses.empty() && config.kafka_egresses.empty()) {
    console.warn("kafka: connect: module.yaml has no Kafka ingress or egress");
    return nullptr;
  }
  kafka::ConnectOptions connect;
  connect.dispatcher = &dispatcher;
  connect.db_path = db_path;
  connect.hosts = options.dev_config.hosts;
  connect.routing = [](const ExternalIoSpec& ingress) -> kafka::RouteFn {
    return [ingress](const kafka::Record& r) {
      return route_topic_record(ingress, TopicKind::kKafka, TopicRecord{r.topic, r.key, r.value});
    };
  };
  connect.info = [&console](const std::string& line) { console.info(line); };
  connect.warn = [&console](const std::string& line) { console.warn(line); };
  return kafka::KafkaConnect::create(config, store, std::move(connect));
}

// Where a virtual clock starts: --clock-start, else where the last virtual
// run on this database stopped, else now. Virtual time only moves forward,
// so a --clock-start before the recorded time is refused.
Result<int64_t> virtual_clock_start(const DevOptions& options, Store& store, int64_t wall_now) {
  auto recorded = store.virtual_now();
  if (!recorded) return std::unexpected(recorded.error());
  if (!options.clock_start_ms) return recorded->value_or(wall_now);
  if (*recorded && *options.clock_start_ms < **recorded) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("--clock-start {} is before {}, where virtual time stopped in this data "
                    "directory, and it only moves forward: leave --clock-start out to resume "
                    "there, or use another --data",
                    utc_time_text(*options.clock_start_ms), utc_time_text(**recorded)));
  }
  return *options.clock_start_ms;
}

}  // namespace

std::string default_data_dir(const std::string& module_path) {
  return (fs::path(module_path).parent_path() / ".statefun").lexically_normal().string();
}

int run_dev(const DevOptions& options, Console& console,
            const std::function<void()>& wait_for_shutdown) {
  // 1. Configuration: module.yaml is the cluster's own file, unchanged.
  auto config = load_module_yaml(options.module_path);
  if (!config) {
    console.error(config.error().message);
    return 1;
  }
  // A TLS file that does not read is named now, not on every call.
  if (auto tls = check_endpoint_tls(*config, options.dev_config.tls); !tls) {
    console.error(tls.error().message);
    return 1;
  }
  // The app's .proto files, for values shown decoded by the admin API and
  // the web console; one that does not parse is named now.
  if (!options.dev_config.protos.empty()) {
    auto protos =
        values::ProtoTypes::load(options.dev_config.protos, options.dev_config.proto_paths);
    if (!protos) {
      console.error("protos: " + protos.error().message);
      return 1;
    }
    set_value_protos(std::shared_ptr<const values::ProtoTypes>(std::move(*protos)));
  }
  for (const auto& warning : config->warnings) console.warn(warning);
  if (const std::string warning = insecure_tls_warning(options.dev_config.tls); !warning.empty()) {
    console.warn(warning);
  }

  // 2. The state database: recovery needs it before anything listens.
  const std::string data_dir = options.data_dir.value_or(default_data_dir(options.module_path));
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) {
    console.error(fmt::format("cannot create data directory {}: {}", data_dir, ec.message()));
    return 1;
  }
  // The lock keeps a second statefun dev (or an offline restore) away.
  auto lock = DataDirLock::acquire(data_dir, fmt::format("statefun dev (pid {})", ::getpid()));
  if (!lock) {
    console.error(lock.error().message);
    return 1;
  }
  const std::string db_path = database_path(data_dir);
  const StoreOptions store_options{options.synchronous_full, options.retention};
  auto opened = Store::open(db_path, store_options);
  if (!opened) {
    console.error(opened.error().message);
    return 1;
  }
  std::unique_ptr<Store> store = std::move(*opened);
  if (auto locked = lock->lock_database(); !locked) {  // a new database exists only now
    console.error(locked.error().message);
    return 1;
  }

  // 3. The engine: function client, routes, egress validation, recovery.
  // The engine thread drives this loop: the playground servers and the
  // function client live on it, so a message reaches the engine without a
  // thread switch.
  net::EventLoop net_loop;
  auto client = make_loop_function_client(net_loop, {});
  // Replay dry runs call functions from admin threads and wait for the
  // answer, so they get a client of their own.
  auto replay_client = make_http_function_client({options.function_client_workers});
  // The time the application sees: the wall clock, or a virtual clock that
  // only `statefun clock` moves (retries and retention keep to the wall).
  SystemClock wall_clock;
  int64_t virtual_start = wall_clock.now_ms();
  bool clock_resumed = false;
  if (options.virtual_clock) {
    auto start = virtual_clock_start(options, *store, virtual_start);
    if (!start) {
      console.error(start.error().message);
      return start.error().code == ErrorCode::kInvalidArgument ? 2 : 1;
    }
    clock_resumed = !options.clock_start_ms && *start != virtual_start;
    virtual_start = *start;
  }
  ManualClock virtual_clock(virtual_start);
  const Clock& clock = options.virtual_clock ? static_cast<const Clock&>(virtual_clock)
                                             : static_cast<const Clock&>(wall_clock);
  // Routes follow module.yaml and statefun.yaml as they change; messages for
  // a function process wait behind its gate until the process is ready.
  DevLoopOptions loop_options;
  loop_options.module_path = options.module_path;
  loop_options.config_path = options.config_path;
  loop_options.overrides = options.overrides;
  loop_options.module = std::make_shared<const ModuleConfig>(*config);
  loop_options.config = options.dev_config;
  loop_options.started_at = options.started_at;
  loop_options.watch_files = options.watch_files;
  loop_options.feed_kafka_topics = !options.kafka_connect;
  // Install steps run again only when their inputs change, even across runs.
  loop_options.supervisor.install_records_dir = (fs::path(data_dir) / "installs").string();
  DevLoop dev_loop(std::move(loop_options), console);
  DispatcherOptions dispatcher_options;
  dispatcher_options.store = store.get();
  dispatcher_options.loop = &net_loop;
  dispatcher_options.retention_age_ms = options.retention.max_age_ms;
  dispatcher_options.retry = options.retry;
  dispatcher_options.retention_bytes = options.retention.max_bytes;
  dispatcher_options.client = client.get();
  dispatcher_options.clock = &clock;
  if (options.virtual_clock) {
    dispatcher_options.virtual_clock = &virtual_clock;
    dispatcher_options.wall_clock = &wall_clock;
  }
  dispatcher_options.resolve = dev_loop.resolver();
  dispatcher_options.route_egress = dev_loop.egress_router();
  dispatcher_options.closed_gates = dev_loop.closed_gates();
  // A failed call carries what its process printed meanwhile.
  // A message for a process that is down because idle starts it.
  dispatcher_options.on_gate_waiting = [&dev_loop](const std::string& gate,
                                                   const FunctionType& type) {
    dev_loop.on_gate_waiting(gate, type);
  };
  dispatcher_options.call_output = [&dev_loop](const std::string& process, int64_t since_ms) {
    return dev_loop.output_since(process, since_ms);
  };
  // The hub fans events out to the console, metrics and admin API streams.
  EventHub hub(&console);
  dispatcher_options.observer = &hub;
  Dispatcher dispatcher(dispatcher_options);
  // Before the engine starts: it reads the stored offsets from the store.
  auto kafka_connect = make_kafka_connect(options, *config, *store, dispatcher, db_path, console);
  if (!kafka_connect) {
    console.error(kafka_connect.error().message);
    return 1;
  }
  if (auto r = dispatcher.start(); !r) {
    console.error(r.error().message);
    return 1;
  }
  const DispatcherStatus recovered = dispatcher.status();

  // 4. The HTTP surfaces. Ingress last, so nothing is accepted before the
  // rest can serve it.
  if (options.listen_host != "127.0.0.1" && options.listen_host != "localhost") {
    console.warn(
        fmt::format("the playground ingress and egress listen on {}: other machines can "
                    "send messages and read egress",
                    options.listen_host));
  }
  int exit_code = 0;
  AdminFacts admin_facts{STATEFUN_VERSION, config->path, data_dir, 0, 0};
  admin_facts.token = admin_token_from_env();
  admin_facts.retention_bytes = options.retention.max_bytes;
  admin_facts.retention_age_ms = options.retention.max_age_ms;
  admin_facts.clock = &clock;
  admin_facts.virtual_clock = options.virtual_clock;
  for (const auto& e : config->endpoints) {
    admin_facts.functions.emplace_back(e.functions, e.url_path_template);
  }
  if (config->playground_egress) admin_facts.egress_topics = config->playground_egress->topics;
  SnapshotKeeper snapshots(data_dir, options.snapshots, console);
  AdminApi admin(dispatcher, hub, std::move(admin_facts));
  AdminHooks hooks;
  hooks.route = [&dev_loop](const FunctionType& type) { return dev_loop.resolver()(type); };
  hooks.client = replay_client.get();
  hooks.processes = [&dev_loop] { return dev_loop.processes(); };
  hooks.route_egress = [&dev_loop](const EgressMessage& m) { return dev_loop.egress_router()(m); };
  hooks.module = [&dev_loop] { return dev_loop.module(); };
  hooks.snapshots = &snapshots;
  hooks.kafka = [&kafka_connect] {
    return *kafka_connect ? (*kafka_connect)->status() : std::vector<kafka::LinkStatus>{};
  };
  // A restore: on the engine thread, with everything committed and the
  // admin API's reader closed.
  hooks.install = [&store, &store_options, &db_path, &lock](
                      const std::string& snapshot, std::optional<Error>& failed) -> Result<Store*> {
    store.reset();  // closed (and checkpointed) before its file is replaced
    if (auto r = install_snapshot(snapshot, db_path); !r) failed = r.error();
    // The new file needs the lock the old one had.
    if (auto r = lock->lock_database(); !r) return std::unexpected(r.error());
    auto reopened = Store::open(db_path, store_options);
    if (!reopened) return std::unexpected(reopened.error());
    store = std::move(*reopened);
    return store.get();
  };
  hooks.announce = [&console](const std::string& line) { console.info(line); };
  admin.set_hooks(std::move(hooks));
  std::unique_ptr<PlaygroundEgress> egress;
  std::unique_ptr<PlaygroundIngress> ingress;
  int egress_port = 0, ingress_port = 0, admin_port = 0;
  auto fail = [&](const Error& error) {
    console.error(error.message);
    exit_code = 1;
  };
  if (auto port = admin.start("127.0.0.1", options.admin_port); port) {
    admin_port = *port;
  } else {
    fail(port.error());
  }
  if (!exit_code && config->playground_egress) {
    egress =
        std::make_unique<PlaygroundEgress>(dispatcher, net_loop, config->playground_egress->topics);
    auto port = egress->start(options.listen_host,
                              options.egress_port.value_or(config->playground_egress->port));
    port ? void(egress_port = *port) : fail(port.error());
  }
  if (!exit_code && config->playground_ingress) {
    ingress = std::make_unique<PlaygroundIngress>(dispatcher, net_loop);
    auto port = ingress->start(options.listen_host,
                               options.ingress_port.value_or(config->playground_ingress->port));
    port ? void(ingress_port = *port) : fail(port.error());
  }

  if (!exit_code) {
    admin.set_ports(ingress_port, egress_port);
    lock->set_holder(fmt::format("statefun dev (pid {}, admin port {})", ::getpid(), admin_port));
    print_banner(console, options, *config, data_dir, ingress_port, egress_port, admin_port,
                 recovered, dev_loop.routes(), clock.now_ms(), clock_resumed);
    const auto ready = std::chrono::steady_clock::now() - options.started_at;
    console.ready(std::chrono::duration_cast<std::chrono::milliseconds>(ready));
    // Function processes last: messages accepted meanwhile wait for them.
    dev_loop.start(dispatcher);
    snapshots.start(dispatcher);
    if (*kafka_connect) {
      console.info("kafka: connect: " + (*kafka_connect)->describe());
      (*kafka_connect)->start();
    }
    wait_for_shutdown();
    console.info("statefun dev stopping: committing and closing");
  }

  // 5. Shutdown: stop the engine first (final commit; waiting HTTP handlers
  // get their answer), then the servers, then the function client.
  // Kafka first: its runners wait on the engine for their commits.
  if (*kafka_connect) (*kafka_connect)->stop();
  dispatcher.stop();
  // A store that failed (or was still full) means work was left undone:
  // say so in the exit code, however the stop was asked for.
  if (const auto failure = dispatcher.status().store_failure) {
    console.error(
        fmt::format("statefun dev stopped with the state database failing: {}", failure->message));
    exit_code = 1;
  }
  snapshots.stop();  // the snapshot at exit, of everything committed
  dev_loop.stop();   // the function processes, before the dispatcher goes away
  if (ingress) ingress->stop();
  if (egress) egress->stop();
  admin.stop();
  client->shutdown();
  replay_client->shutdown();
  return exit_code;
}

}  // namespace statefun::emulator
