// statefun.yaml: the dev-only settings that sit beside module.yaml (which
// stays the cluster's own file). How to start each function process, which
// host names of module.yaml mean this machine, where the state lives and
// which ports to use. docs/statefun-yaml.md describes the format.
//
// Pure parsing and merging: nothing here starts a process or opens a socket.
// Errors are one line naming the file, the line and column, and the key, in
// the words module.yaml uses too (yaml_fields.h), e.g.
//   statefun.yaml:4:5: processes[0].comand: unknown key (did you mean "command"?)
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emulator/config/tls_settings.h"
#include "runtime/core/result.h"

namespace statefun::emulator {

// How the supervisor decides that a process serves requests.
struct ReadyCheck {
  // GET this URL until it answers 2xx or 3xx. Empty: a TCP connect to the
  // process's port is enough.
  std::string http_url;
  // How long to wait before saying that the process never got ready (it is
  // still waited for afterwards).
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};

  bool operator==(const ReadyCheck&) const = default;
};

// A process's install or build step (`install:` in statefun.yaml): `npm
// install`, `pip install -r requirements.txt`, `mvn package`, a CMake build.
// It runs before the command, and only when the fingerprint of its inputs
// (and of the step itself) differs from the one recorded after it last
// succeeded (processes/install_step.h).
struct InstallStep {
  std::string command;  // run by /bin/sh -c in the process's working_dir; empty: none
  // Globs relative to working_dir, as `watch`. Empty: the dependency files
  // of install_step.h's list that exist there (package.json, pom.xml, ...).
  std::vector<std::string> inputs;

  bool operator==(const InstallStep&) const = default;
};

// One function process `statefun dev` starts, watches and restarts.
struct ProcessSpec {
  std::string name;                        // unique; prefixes its output and names its gate
  std::string command;                     // run by /bin/sh -c
  std::string working_dir;                 // absolute
  std::map<std::string, std::string> env;  // added to statefun's own environment
  // Where it serves StateFun requests: module.yaml endpoints whose URL (after
  // the hosts map) has this host and port are held back until it is ready.
  // Empty: http://localhost:<port>.
  std::string url;
  std::optional<int> port;  // from `port`, else `url`, else env PORT
  ReadyCheck ready;
  std::vector<std::string> watch;  // globs relative to working_dir
  InstallStep install;
  // `start: on-demand`: not started with statefun dev but when a message
  // for one of its function types is due (it waits, durably, meanwhile);
  // `idle_stop`: stopped again after this long without a call to it.
  bool on_demand = false;
  std::optional<std::chrono::milliseconds> idle_stop;

  bool operator==(const ProcessSpec&) const = default;
};

// The settings the command line and STATEFUN_* variables may also give.
// Unset fields fall back to the next layer (file, then built-in defaults).
struct DevSettings {
  std::optional<std::string> data_dir;  // absolute once resolved
  std::optional<std::string> listen_host;
  std::optional<int> admin_port, ingress_port, egress_port;
  // Automatic snapshots (`snapshots:`): period (0 = off), how many to keep,
  // and whether to take one at a clean shutdown.
  std::optional<std::chrono::milliseconds> snapshot_every;
  std::optional<int> snapshot_keep;
  std::optional<bool> snapshot_on_exit;
  // Retention (`retention:`): history versions per entity (0 = all) and
  // the age of trace, consumed messages and read egress (0 = forever),
  // and the bytes they may take (0 = no cap).
  std::optional<int64_t> history_versions;
  std::optional<std::chrono::milliseconds> retention_age;
  // Retry policy (`retry:`): failed attempts, and time since the first
  // failure, after which a message moves to the dead letters (0 = no limit;
  // neither set: retried forever, as on Flink).
  std::optional<int> retry_max_attempts;
  std::optional<std::chrono::milliseconds> retry_max_age;
  std::optional<int64_t> retention_size;
  // `kafka:`: true for `connect` (the Kafka ingresses and egresses of
  // module.yaml use the real broker at their `address`), false for
  // `emulate` (the default: topics inside statefun dev).
  std::optional<bool> kafka_connect;

  bool operator==(const DevSettings&) const = default;
};

// statefun.yaml after parsing (relative paths resolved against its folder).
struct DevConfig {
  std::string path;  // the file as given; empty when there is none
  DevSettings settings;
  // module.yaml host name -> "host" or "host:port" to use instead, e.g.
  // functions -> localhost turns http://functions:8000/x into
  // http://localhost:8000/x; or "unix:<socket file>", which turns it into
  // http+unix://<socket file>/x (http_url.h, map_host).
  std::map<std::string, std::string> hosts;
  // `tls:`: overrides module.yaml's TLS fields for https endpoints.
  DevTls tls;
  std::vector<ProcessSpec> processes;
  // `protos:` / `proto_paths:` (absolute): .proto files that describe the
  // app's protobuf-typed values, and where their imports are, so the admin
  // API and the web console show those values decoded.
  std::vector<std::string> protos;
  std::vector<std::string> proto_paths;
  // `statefun dev [--port P] -- CMD`: the one process listens on P, so
  // module.yaml hosts that are cluster names (http_url.h) and not in `hosts`
  // go to localhost:P too (function_routes.h, hosts_for).
  std::optional<int> one_process_port;
  // `--process-port NAME=PORT` (what `statefun test` uses to run scenarios
  // side by side): local port a process listened on -> the port it listens
  // on now; module.yaml endpoints that reached the old port reach the new
  // one (function_routes.h, RouteTable::moved_ports).
  std::map<int, int> moved_ports;
};

// What the command line and STATEFUN_* variables decide; every field that is
// set wins over statefun.yaml.
struct DevOverrides {
  DevSettings settings;
  std::map<std::string, std::string> hosts;  // added to, and winning over, the file's
  // `statefun dev -- CMD`: the only process, instead of the file's.
  std::optional<ProcessSpec> process;
  // `--process-port NAME=PORT`: the process listens on PORT instead (its
  // `port`, `url` and an env PORT that named the old port all follow).
  std::map<std::string, int> process_ports;
};

// Parses YAML text; `path` labels messages and `base_dir` resolves relative
// paths (data, working_dir).
Result<DevConfig> parse_dev_config(std::string_view text, const std::string& path,
                                   const std::string& base_dir);

// Reads and parses a file; a missing file is an error naming it.
Result<DevConfig> load_dev_config(const std::string& path);

// The statefun.yaml that goes with a module.yaml: the one beside it.
std::string dev_config_path_for(const std::string& module_path);

// Layers: the file's values, then `overrides` on top. With `overrides.process`
// (`-- CMD`), the file's hosts that point at this machine without a port
// point at the process's port instead, and `one_process_port` is set: the
// file's processes are not running, that one process is.
DevConfig apply_overrides(DevConfig file, const DevOverrides& overrides);

// `statefun dev -- node functions.js`: one process running `argv` in
// `working_dir`, on `port` (also given to it as PORT), named after the
// script it runs (functions: an argument with a script's extension, .js,
// .py, .jar, ...) or else the program's base name (node, java). It watches
// the files with the script's extension, or `watch` when given.
ProcessSpec command_process(const std::vector<std::string>& argv, int port,
                            const std::string& working_dir, std::vector<std::string> watch);

// Parses "name=host[:port]" or "name=unix:/path/to/file.sock" as given to
// --host (and statefun.yaml's hosts); the target is read by the URL grammar
// (runtime/core/url.h), IPv6 in brackets.
Result<std::pair<std::string, std::string>> parse_host_mapping(std::string_view text);

}  // namespace statefun::emulator
