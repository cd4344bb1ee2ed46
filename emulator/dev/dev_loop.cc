#include "emulator/dev/dev_loop.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "emulator/config/egress_routes.h"
#include "emulator/config/endpoint_tls.h"
#include "emulator/config/http_url.h"
#include "emulator/processes/install_step.h"
#include "emulator/topics/topic_feedback.h"

namespace statefun::emulator {
namespace fs = std::filesystem;
namespace {

std::string show(const std::optional<int>& port) {
  return port ? std::to_string(*port) : "default";
}

std::string show(const std::optional<std::string>& text) { return text.value_or("default"); }

// "functions.js changed", "3 files changed (a.js, b.js, ...)"
std::string describe_change(const std::vector<std::string>& paths) {
  if (paths.size() == 1) return paths.front() + " changed";
  std::string some;
  for (std::size_t i = 0; i < paths.size() && i < 3; ++i) some += (i ? ", " : "") + paths[i];
  return fmt::format("{} files changed ({}{})", paths.size(), some,
                     paths.size() > 3 ? ", ..." : "");
}

// The folder and file name a watch on `path` needs.
std::pair<std::string, std::string> split_path(const std::string& path) {
  std::error_code ec;
  const fs::path absolute = fs::absolute(fs::path(path), ec).lexically_normal();
  return {absolute.parent_path().string(), absolute.filename().string()};
}

// What restarts a process: its `watch` globs and, with an install step, the
// step's inputs (a changed package.json runs `npm install` again).
std::vector<std::string> watched_globs(const ProcessSpec& spec) {
  std::vector<std::string> globs = spec.watch;
  if (!spec.install.command.empty()) {
    const auto& inputs =
        spec.install.inputs.empty() ? default_install_inputs() : spec.install.inputs;
    for (const auto& input : inputs) {
      if (std::ranges::find(globs, input) == globs.end()) globs.push_back(input);
    }
  }
  return globs;
}

}  // namespace

DevLoop::DevLoop(DevLoopOptions options, Console& console)
    : m_options(std::move(options)), m_console(console) {
  m_snapshot = make_snapshot(m_options.module, m_options.config);
}

DevLoop::~DevLoop() { stop(); }

std::shared_ptr<const DevLoop::Snapshot> DevLoop::make_snapshot(
    std::shared_ptr<const ModuleConfig> module, DevConfig config) {
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->module = module;
  auto routes = std::make_shared<RouteTable>();
  routes->module = module;
  routes->hosts = hosts_for(*module, config);
  routes->moved_ports = config.moved_ports;
  routes->tls = config.tls;
  routes->processes = config.processes;
  snapshot->routes = std::move(routes);
  snapshot->egress = std::make_shared<const EgressRoutes>(*module);
  snapshot->config = std::move(config);
  return snapshot;
}

RouteResolver DevLoop::resolver() const {
  MutexLock lock(m_mutex);
  return make_resolver(m_snapshot->routes);
}

EgressRouter DevLoop::egress_router() const {
  MutexLock lock(m_mutex);
  return make_egress_router(*m_snapshot);
}

EgressRouter DevLoop::make_egress_router(const Snapshot& snapshot) const {
  return
      [egress = snapshot.egress, module = snapshot.module,
       feed_kafka = m_options.feed_kafka_topics](const EgressMessage& m) -> Result<RoutedEgress> {
        auto routed = egress->route(m);
        if (!routed) return routed;
        if (auto fed = add_topic_feedback(*module, m, *routed, feed_kafka); !fed)
          return std::unexpected(fed.error());
        return routed;
      };
}

std::shared_ptr<const ModuleConfig> DevLoop::module() const {
  MutexLock lock(m_mutex);
  return m_snapshot->module;
}

std::vector<std::string> DevLoop::closed_gates() const {
  MutexLock lock(m_mutex);
  std::vector<std::string> gates;
  for (const auto& process : m_snapshot->config.processes) gates.push_back(process.name);
  return gates;
}

std::vector<Banner::Route> DevLoop::routes() const {
  MutexLock lock(m_mutex);
  std::vector<Banner::Route> out;
  for (auto& r : describe_routes(*m_snapshot->routes))
    out.push_back({r.functions, r.url, r.process});
  return out;
}

// A module.yaml written for a cluster names hosts like `functions` (a
// docker-compose service); without a hosts entry its messages go nowhere.
void DevLoop::warn_about_cluster_hosts() const {
  MutexLock lock(m_mutex);
  std::set<std::string> said;
  for (const auto& route : describe_routes(*m_snapshot->routes)) {
    auto url = parse_url(route.url);
    if (!url || !route.process.empty() || !is_cluster_host_name(url->host)) continue;
    if (!said.insert(url->host).second) continue;
    m_console.warn(fmt::format(
        "module.yaml sends {} to {}, but no function process here serves it; if {} is a "
        "cluster host name, map it to this machine with `hosts: {{{}: localhost}}` in "
        "statefun.yaml or --host {}=localhost",
        route.functions, route.url, url->host, url->host, url->host));
  }
}

void DevLoop::start(Dispatcher& dispatcher) {
  warn_about_cluster_hosts();
  m_dispatcher = &dispatcher;
  m_supervisor = std::make_unique<Supervisor>(*this, m_options.supervisor);
  m_live_supervisor.store(m_supervisor.get());
  std::vector<ProcessSpec> processes;
  {
    MutexLock lock(m_mutex);
    processes = m_snapshot->config.processes;
  }
  if (m_options.watch_files) {
    m_watcher = std::make_unique<FileWatcher>();
    watch_configuration();
    watch_processes(processes);
  }
  m_supervisor->update(processes, "");
  std::map<std::string, std::string> wanted;
  {
    MutexLock lock(m_mutex);
    m_started = true;
    wanted.swap(m_wanted);
  }
  for (const auto& [gate, why] : wanted) m_supervisor->start_on_demand(gate, why);
  m_idle_stopper =
      std::make_unique<IdleStopper>(dispatcher, *m_supervisor, [this] { return idle_targets(); });
}

void DevLoop::on_gate_waiting(const std::string& gate, const FunctionType& type) {
  std::string why = fmt::format("a message for {} is waiting", type.str());
  {
    MutexLock lock(m_mutex);
    if (!m_started) {
      m_wanted.emplace(gate, std::move(why));
      return;
    }
  }
  if (Supervisor* supervisor = m_live_supervisor.load()) supervisor->start_on_demand(gate, why);
}

std::vector<IdleStopper::Target> DevLoop::idle_targets() const {
  std::vector<IdleStopper::Target> targets;
  Supervisor* supervisor = m_live_supervisor.load();
  if (!supervisor) return targets;
  std::map<std::string, std::chrono::milliseconds> idle_stops;
  {
    MutexLock lock(m_mutex);
    for (const auto& p : m_snapshot->config.processes) {
      if (p.on_demand && p.idle_stop) idle_stops[p.name] = *p.idle_stop;
    }
  }
  if (idle_stops.empty()) return targets;
  for (const auto& status : supervisor->statuses()) {
    auto it = idle_stops.find(status.name);
    if (it == idle_stops.end()) continue;
    if (status.state == "ready" || status.state == "running") {
      targets.push_back({status.name, it->second});
    }
  }
  return targets;
}

std::vector<ProcessStatus> DevLoop::processes() const {
  Supervisor* supervisor = m_live_supervisor.load();
  return supervisor ? supervisor->statuses() : std::vector<ProcessStatus>{};
}

std::vector<OutputLine> DevLoop::output_since(const std::string& process, int64_t since_ms) const {
  Supervisor* supervisor = m_live_supervisor.load();
  return supervisor ? supervisor->output_since(process, since_ms) : std::vector<OutputLine>{};
}

void DevLoop::stop() {
  m_idle_stopper.reset();  // before the supervisor it stops processes through
  m_live_supervisor.store(nullptr);
  if (m_watcher) m_watcher->stop();
  if (m_supervisor) m_supervisor->stop();
  m_watcher.reset();
  m_supervisor.reset();
}

void DevLoop::watch_configuration() {
  // Editors replace files by renaming, so watch the folders, not the files.
  std::map<std::string, std::vector<std::string>> files;
  for (const auto& path : {m_options.module_path, m_options.config_path}) {
    if (path.empty()) continue;
    auto [dir, name] = split_path(path);
    files[dir].push_back(name);
  }
  for (auto& [dir, names] : files) {
    auto id = m_watcher->add(dir, names, [this](const std::vector<std::string>& changed) {
      reload(describe_change(changed));
    });
    if (!id) m_console.warn(id.error().message + "; configuration changes need a restart");
  }
}

void DevLoop::watch_processes(const std::vector<ProcessSpec>& processes) {
  if (!m_watcher) return;
  MutexLock lock(m_mutex);
  // Drop watches of processes that went away or watch something else now.
  for (auto it = m_process_watches.begin(); it != m_process_watches.end();) {
    const auto spec = std::ranges::find(processes, it->first, &ProcessSpec::name);
    if (spec != processes.end() &&
        it->second.second == std::pair{spec->working_dir, watched_globs(*spec)}) {
      ++it;
      continue;
    }
    m_watcher->remove(it->second.first);
    it = m_process_watches.erase(it);
  }
  for (const auto& spec : processes) {
    const auto globs = watched_globs(spec);
    if (globs.empty() || m_process_watches.contains(spec.name)) continue;
    auto id = m_watcher->add(spec.working_dir, globs,
                             [this, name = spec.name](const std::vector<std::string>& changed) {
                               if (m_supervisor)
                                 m_supervisor->restart(name, describe_change(changed));
                             });
    if (!id) {
      m_console.warn(
          fmt::format("[{}] {}; it is not restarted on changes", spec.name, id.error().message));
      continue;
    }
    m_process_watches[spec.name] = {*id, {spec.working_dir, globs}};
  }
}

void DevLoop::reload(const std::string& what_changed) {
  std::lock_guard reload_lock(m_reload_mutex);
  auto module = load_module_yaml(m_options.module_path);
  if (!module) {
    m_console.error(
        fmt::format("{}; still running the previous configuration", module.error().message));
    return;
  }
  DevConfig file;
  std::error_code ec;
  if (!m_options.config_path.empty() && fs::exists(m_options.config_path, ec)) {
    auto loaded = load_dev_config(m_options.config_path);
    if (!loaded) {
      m_console.error(
          fmt::format("{}; still running the previous configuration", loaded.error().message));
      return;
    }
    file = std::move(*loaded);
  }
  auto config = apply_overrides(std::move(file), m_options.overrides);
  if (auto tls = check_endpoint_tls(*module, config.tls); !tls) {
    m_console.error(
        fmt::format("{}; still running the previous configuration", tls.error().message));
    return;
  }
  for (const auto& warning : module->warnings) m_console.warn(warning);
  if (const std::string warning = insecure_tls_warning(config.tls); !warning.empty()) {
    m_console.warn(warning);
  }
  auto after = make_snapshot(std::make_shared<const ModuleConfig>(std::move(*module)), config);
  std::shared_ptr<const Snapshot> before;
  {
    MutexLock lock(m_mutex);
    before = m_snapshot;
    m_snapshot = after;
  }
  m_console.info(fmt::format("{}: configuration reloaded", what_changed));
  announce_restart_needed(*before, *after);

  // Processes first: a new process's gate closes before routes lead to it.
  watch_processes(config.processes);
  if (m_supervisor) m_supervisor->update(config.processes, what_changed);
  if (m_dispatcher) {
    m_dispatcher->reconfigure(make_resolver(after->routes), make_egress_router(*after));
  }
  for (auto& r : describe_routes(*after->routes)) {
    m_console.info(fmt::format("  functions  {} → {}{}", r.functions, r.url,
                               r.process.empty() ? "" : fmt::format("  ({})", r.process)));
  }
}

// Ports, the data directory and egress topics are bound once at start.
void DevLoop::announce_restart_needed(const Snapshot& before, const Snapshot& after) {
  const auto& was = before.config.settings;
  const auto& now = after.config.settings;
  auto say = [&](const std::string& what, const std::string& from, const std::string& to) {
    m_console.warn(
        fmt::format("{} changed ({} → {}): restart statefun dev to apply it", what, from, to));
  };
  if (was.data_dir != now.data_dir)
    say("the data directory", show(was.data_dir), show(now.data_dir));
  if (was.listen_host != now.listen_host)
    say("listen", show(was.listen_host), show(now.listen_host));
  if (was.admin_port != now.admin_port)
    say("the admin port", show(was.admin_port), show(now.admin_port));
  if (was.snapshot_every != now.snapshot_every || was.snapshot_keep != now.snapshot_keep ||
      was.snapshot_on_exit != now.snapshot_on_exit ||
      was.history_versions != now.history_versions || was.retention_age != now.retention_age ||
      was.retention_size != now.retention_size ||
      was.retry_max_attempts != now.retry_max_attempts || was.retry_max_age != now.retry_max_age) {
    m_console.warn("snapshots, retention or retry changed: restart statefun dev to apply them");
  }
  if (was.ingress_port != now.ingress_port || was.egress_port != now.egress_port) {
    say("the playground ports", fmt::format("{}/{}", show(was.ingress_port), show(was.egress_port)),
        fmt::format("{}/{}", show(now.ingress_port), show(now.egress_port)));
  }
  const auto& old_module = *before.module;
  const auto& new_module = *after.module;
  auto port_of = [](const auto& spec) {
    return spec ? std::optional<int>(spec->port) : std::nullopt;
  };
  if (!now.ingress_port &&
      port_of(old_module.playground_ingress) != port_of(new_module.playground_ingress)) {
    say("module.yaml's playground ingress", show(port_of(old_module.playground_ingress)),
        show(port_of(new_module.playground_ingress)));
  }
  if (!now.egress_port &&
      port_of(old_module.playground_egress) != port_of(new_module.playground_egress)) {
    say("module.yaml's playground egress", show(port_of(old_module.playground_egress)),
        show(port_of(new_module.playground_egress)));
  }
  auto topics_of = [](const ModuleConfig& m) {
    std::string topics;
    if (m.playground_egress) {
      for (const auto& t : m.playground_egress->topics) topics += (topics.empty() ? "" : ", ") + t;
    }
    return topics.empty() ? std::string("none") : topics;
  };
  if (topics_of(old_module) != topics_of(new_module)) {
    say("module.yaml's egress topics", topics_of(old_module), topics_of(new_module));
  }
}

void DevLoop::on_output(const std::string& process, OutputStream stream, std::string_view line) {
  m_console.on_output(process, stream, line);
}

void DevLoop::on_process_event(const ProcessEvent& event) { m_console.on_process_event(event); }

void DevLoop::on_ready(const std::string& process, bool ready) {
  if (m_dispatcher) m_dispatcher->set_gate(process, ready);
  bool all_ready = false;
  {
    MutexLock lock(m_mutex);
    ready ? void(m_ready.insert(process)) : void(m_ready.erase(process));
    if (ready && !m_all_ready_said) {
      // A loop, not all_of: the analysis checks a lambda as a function of its own.
      all_ready = true;
      for (const auto& p : m_snapshot->config.processes) all_ready &= m_ready.contains(p.name);
      m_all_ready_said = all_ready;
    }
  }
  if (all_ready) {
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - m_options.started_at);
    m_console.info(fmt::format("all function processes ready, {} ms after start", elapsed.count()));
  }
}

}  // namespace statefun::emulator
