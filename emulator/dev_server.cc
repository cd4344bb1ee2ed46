#include "emulator/dev_server.h"

#include <fmt/format.h>

#include <filesystem>

#include "emulator/admin_http.h"
#include "emulator/egress_routes.h"
#include "emulator/module_config.h"
#include "emulator/playground_http.h"
#include "runtime/dispatcher.h"
#include "runtime/store.h"

namespace statefun::emulator {
namespace fs = std::filesystem;

namespace {

RouteResolver make_resolver(const ModuleConfig& config) {
  return [&config](const FunctionType& type) -> std::optional<FunctionRoute> {
    const HttpEndpointSpec* endpoint = config.endpoint_for(type.ns, type.name);
    if (!endpoint) return std::nullopt;
    FunctionRoute route;
    route.url = endpoint->url_for(type.name);
    route.max_batch = endpoint->max_num_batch_requests;
    route.call.connect_timeout = endpoint->connect_timeout;
    route.call.attempt_timeout = endpoint->call_timeout;
    route.call.max_response_bytes = static_cast<std::size_t>(endpoint->payload_max_bytes);
    return route;
  };
}

void print_banner(Console& console, const DevOptions& options, const ModuleConfig& config,
                  const std::string& data_dir, int ingress_port, int egress_port, int admin_port,
                  const DispatcherStatus& recovered) {
  console.info(fmt::format("statefun dev {}", STATEFUN_VERSION));
  console.info(fmt::format("  module     {}", config.path));
  console.info(fmt::format("  data       {}", data_dir));
  if (ingress_port) {
    console.info(fmt::format("  ingress    http://{}:{}/<namespace>/<type>/<id>",
                             options.listen_host, ingress_port));
  }
  if (egress_port) {
    std::string topics;
    for (const auto& t : config.playground_egress->topics)
      topics += (topics.empty() ? "" : ", ") + t;
    console.info(fmt::format("  egress     http://{}:{}/<topic>  topics: {}", options.listen_host,
                             egress_port, topics));
  }
  console.info(fmt::format("  admin      http://127.0.0.1:{}", admin_port));
  for (const auto& endpoint : config.endpoints) {
    console.info(
        fmt::format("  functions  {} → {}", endpoint.functions, endpoint.url_path_template));
  }
  if (recovered.pending || recovered.unroutable || recovered.timers) {
    console.info(fmt::format("  recovered  {} pending message(s), {} timer(s)",
                             recovered.pending + recovered.unroutable, recovered.timers));
  }
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
  for (const auto& warning : config->warnings) console.warn(warning);

  // 2. The state database: recovery needs it before anything listens.
  const std::string data_dir = options.data_dir.value_or(default_data_dir(options.module_path));
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) {
    console.error(fmt::format("cannot create data directory {}: {}", data_dir, ec.message()));
    return 1;
  }
  auto store = Store::open(database_path(data_dir), StoreOptions{options.synchronous_full});
  if (!store) {
    console.error(store.error().message);
    return 1;
  }

  // 3. The engine: function client, routes, egress validation, recovery.
  auto client = make_http_function_client({options.function_client_workers});
  SystemClock clock;
  EgressRoutes egress_routes(*config);
  DispatcherOptions dispatcher_options;
  dispatcher_options.store = store->get();
  dispatcher_options.client = client.get();
  dispatcher_options.clock = &clock;
  dispatcher_options.resolve = make_resolver(*config);
  dispatcher_options.route_egress = [&egress_routes](const EgressMessage& m) {
    return egress_routes.route(m);
  };
  dispatcher_options.observer = &console;
  Dispatcher dispatcher(dispatcher_options);
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
  AdminApi admin(dispatcher, {STATEFUN_VERSION, config->path, data_dir, 0, 0});
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
    egress = std::make_unique<PlaygroundEgress>(dispatcher, config->playground_egress->topics);
    auto port = egress->start(options.listen_host,
                              options.egress_port.value_or(config->playground_egress->port));
    port ? void(egress_port = *port) : fail(port.error());
  }
  if (!exit_code && config->playground_ingress) {
    ingress = std::make_unique<PlaygroundIngress>(dispatcher);
    auto port = ingress->start(options.listen_host,
                               options.ingress_port.value_or(config->playground_ingress->port));
    port ? void(ingress_port = *port) : fail(port.error());
  }

  if (!exit_code) {
    admin.set_ports(ingress_port, egress_port);
    print_banner(console, options, *config, data_dir, ingress_port, egress_port, admin_port,
                 recovered);
    const auto ready = std::chrono::steady_clock::now() - options.started_at;
    console.info(fmt::format("statefun dev ready in {} ms",
                             std::chrono::duration_cast<std::chrono::milliseconds>(ready).count()));
    wait_for_shutdown();
    console.info("statefun dev stopping: committing and closing");
  }

  // 5. Shutdown: stop the engine first (final commit; waiting HTTP handlers
  // get their answer), then the servers, then the function client.
  dispatcher.stop();
  if (ingress) ingress->stop();
  if (egress) egress->stop();
  admin.stop();
  client->shutdown();
  return exit_code;
}

}  // namespace statefun::emulator
