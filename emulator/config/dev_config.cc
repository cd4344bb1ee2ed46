// statefun.yaml read with the field-reading kit of yaml_fields.h (so its
// errors are worded as module.yaml's are), merged with flags and variables.
#include "emulator/config/dev_config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "emulator/config/http_url.h"
#include "emulator/config/yaml_fields.h"
#include "runtime/core/size_text.h"
#include "runtime/core/time_text.h"
#include "runtime/core/url.h"

namespace statefun::emulator {
namespace fs = std::filesystem;

namespace {

using Keys = std::vector<std::string_view>;

const Keys kTopKeys = {"data",      "listen", "ports", "hosts", "processes", "snapshots",
                       "retention", "retry",  "kafka", "tls",   "protos",    "proto_paths"};
const Keys kTlsKeys = {"ca", "client_cert", "client_key", "client_key_password_file",
                       "insecure_skip_verify"};
const Keys kSnapshotKeys = {"every", "keep", "on_exit"};
const Keys kRetentionKeys = {"history_versions", "age", "size"};
const Keys kRetryKeys = {"max_attempts", "max_age"};
const Keys kPortKeys = {"admin", "ingress", "egress"};
const Keys kProcessKeys = {"name",  "command", "working_dir", "env",   "url",      "port",
                           "ready", "watch",   "install",     "start", "idle_stop"};
const Keys kInstallKeys = {"command", "inputs"};
const Keys kReadyKeys = {"http", "timeout"};

// Words people reach for out of habit (docker-compose, Procfiles, ...).
const std::map<std::string_view, std::string_view> kAliases = {
    {"cmd", "command"},
    {"run", "command"},
    {"exec", "command"},
    {"cwd", "working_dir"},
    {"dir", "working_dir"},
    {"workdir", "working_dir"},
    {"directory", "working_dir"},
    {"environment", "env"},
    {"files", "watch"},
    {"readiness", "ready"},
    {"health", "ready"},
    {"healthcheck", "ready"},
    {"process", "processes"},
    {"functions", "processes"},
    {"host", "hosts"},
    {"data_dir", "data"},
    {"state", "data"},
    {"port", "ports"},
    {"setup", "install"},
    {"build", "install"},
    {"prepare", "install"},
    {"deps", "install"},
    {"ssl", "tls"},
    {"proto", "protos"},
    {"proto_files", "protos"},
    {"proto_path", "proto_paths"},
    {"trust_cacerts", "ca"},
    {"cacert", "ca"},
    {"ca_file", "ca"},
    {"insecure", "insecure_skip_verify"},
    {"client_key_password", "client_key_password_file"},
};

// A port number from `lowest` to 65535, written as plain digits.
Result<int> port_number(std::string_view text, int lowest) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < lowest || value > 65535) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("expected a port number ({}-65535), got {}", lowest, in_quotes(text)));
  }
  return value;
}

std::string absolute(const std::string& base_dir, const std::string& path) {
  return (fs::path(base_dir) / path).lexically_normal().string();
}

// Quotes one word for /bin/sh unless it is plainly safe.
std::string shell_quote(const std::string& word) {
  const bool safe = !word.empty() && std::ranges::all_of(word, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("-_./=:,+@%").find(c) != std::string_view::npos;
  });
  if (safe) return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// statefun.yaml's strings (paths, names, commands, hosts) are never empty.
Result<std::optional<std::string>> non_empty_text(const YamlMap& map, std::string_view key) {
  auto text = map.optional_text(key);
  if (text && *text && (*text)->empty()) {
    return map.fail(key, "expected a non-empty string, got \"\"");
  }
  return text;
}

Result<std::string> non_empty_item_text(const YamlItem& item, const YamlDocument& document) {
  auto text = item_text(item, document);
  if (text && text->empty())
    return fail_at(item, document, "expected a non-empty string, got \"\"");
  return text;
}

// Walks one statefun.yaml; every error names the file, line, column and key path.
class Parser {
 public:
  Parser(std::string path, std::string base_dir) : m_base_dir(std::move(base_dir)) {
    m_document.file = std::move(path);
    // `data:` with nothing after it is a mistake here, not a default.
    m_document.null_is_absent = false;
  }

  Result<DevConfig> parse(const YAML::Node& root) const {
    DevConfig config;
    config.path = m_document.file;
    if (!root.IsDefined() || root.IsNull()) return config;  // an empty file is fine
    if (!root.IsMap()) {
      return m_document.fail("", "expected a mapping at the top, got " + describe(root),
                             mark_of(root));
    }
    const YamlMap top(root, "", &m_document);
    if (auto r = top.check_keys(kTopKeys, kAliases); !r) return std::unexpected(r.error());

    auto data = non_empty_text(top, "data");
    if (!data) return std::unexpected(data.error());
    if (*data) config.settings.data_dir = absolute(m_base_dir, **data);
    auto listen = non_empty_text(top, "listen");
    if (!listen) return std::unexpected(listen.error());
    if (*listen) config.settings.listen_host = **listen;
    auto kafka = top.optional_choice("kafka", {"emulate", "connect"});
    if (!kafka) return std::unexpected(kafka.error());
    if (*kafka) config.settings.kafka_connect = **kafka == "connect";

    auto ports = top.optional_map("ports");
    if (!ports) return std::unexpected(ports.error());
    if (*ports) {
      if (auto r = parse_ports(**ports, config.settings); !r) return std::unexpected(r.error());
    }
    auto hosts = top.optional_map("hosts");
    if (!hosts) return std::unexpected(hosts.error());
    if (*hosts) {
      if (auto r = parse_hosts(**hosts, config.hosts); !r) return std::unexpected(r.error());
    }
    auto tls = top.optional_map("tls");
    if (!tls) return std::unexpected(tls.error());
    if (*tls) {
      if (auto r = parse_tls(**tls, config.tls); !r) return std::unexpected(r.error());
    }
    auto snapshots = top.optional_map("snapshots");
    if (!snapshots) return std::unexpected(snapshots.error());
    if (*snapshots) {
      if (auto r = parse_snapshots(**snapshots, config.settings); !r) {
        return std::unexpected(r.error());
      }
    }
    auto retention = top.optional_map("retention");
    if (!retention) return std::unexpected(retention.error());
    if (*retention) {
      if (auto r = parse_retention(**retention, config.settings); !r) {
        return std::unexpected(r.error());
      }
    }
    auto retry = top.optional_map("retry");
    if (!retry) return std::unexpected(retry.error());
    if (*retry) {
      if (auto r = parse_retry(**retry, config.settings); !r) return std::unexpected(r.error());
    }
    // .proto files the admin API (and so the web console) decodes
    // protobuf-typed values with, as `--proto` does for the CLI.
    if (auto r = parse_globs(top, "protos", config.protos, ".proto files"); !r) {
      return std::unexpected(r.error());
    }
    if (auto r = parse_globs(top, "proto_paths", config.proto_paths, "directories"); !r) {
      return std::unexpected(r.error());
    }
    for (auto* list : {&config.protos, &config.proto_paths}) {
      for (auto& path : *list) path = absolute(m_base_dir, path);
    }
    auto processes = top.optional_list("processes");
    if (!processes) return std::unexpected(processes.error());
    if (*processes) {
      std::map<std::string, std::size_t> names;
      for (std::size_t i = 0; i < (*processes)->size(); ++i) {
        auto node = item_map((**processes)[i], m_document);
        if (!node) return std::unexpected(node.error());
        auto process = parse_process(*node);
        if (!process) return std::unexpected(process.error());
        if (auto [it, fresh] = names.emplace(process->name, i); !fresh) {
          return node->fail("name", fmt::format("{} is already the name of processes[{}]",
                                                in_quotes(process->name), it->second));
        }
        config.processes.push_back(std::move(*process));
      }
    }
    return config;
  }

 private:
  Result<void> parse_ports(const YamlMap& ports, DevSettings& settings) const {
    if (auto r = ports.check_keys(kPortKeys); !r) return r;
    struct Field {
      const char* key;
      std::optional<int>& target;
      int lowest;  // admin may be 0: any free port
    };
    for (Field field :
         {Field{"admin", settings.admin_port, 0}, Field{"ingress", settings.ingress_port, 1},
          Field{"egress", settings.egress_port, 1}}) {
      auto port = ports.optional_int(field.key, Typing::kCoerce, {field.lowest, 65535});
      if (!port) return std::unexpected(port.error());
      if (*port) field.target = static_cast<int>(**port);
    }
    return {};
  }

  // A duration in the one time grammar (docs/time.md); what a bare number
  // means is `rules`' choice.
  Result<std::optional<std::chrono::milliseconds>> duration_value(
      const YamlMap& map, std::string_view key, const DurationRules& rules) const {
    auto text = non_empty_text(map, key);
    if (!text) return std::unexpected(text.error());
    if (!*text) return std::nullopt;
    auto duration = parse_duration(**text, rules);
    if (!duration) return map.fail(key, duration.error().message);
    return *duration;
  }

  Result<void> parse_snapshots(const YamlMap& snapshots, DevSettings& settings) const {
    if (auto r = snapshots.check_keys(kSnapshotKeys); !r) return r;
    if (snapshots.has("every")) {
      auto every = duration_value(snapshots, "every", kUnitRequired);
      if (!every) return std::unexpected(every.error());
      settings.snapshot_every = *every;
    }
    auto keep = snapshots.optional_int("keep", Typing::kCoerce, {1, 100000});
    if (!keep) return std::unexpected(keep.error());
    if (*keep) settings.snapshot_keep = static_cast<int>(**keep);
    auto on_exit = snapshots.optional_bool("on_exit");
    if (!on_exit) return std::unexpected(on_exit.error());
    if (*on_exit) settings.snapshot_on_exit = **on_exit;
    return {};
  }

  Result<void> parse_retention(const YamlMap& retention, DevSettings& settings) const {
    if (auto r = retention.check_keys(kRetentionKeys); !r) return r;
    auto versions = retention.optional_int("history_versions", Typing::kCoerce,
                                           {0, std::numeric_limits<std::int64_t>::max()});
    if (!versions) return std::unexpected(versions.error());
    if (*versions) settings.history_versions = **versions;
    if (retention.has("age")) {
      auto age = duration_value(retention, "age", kUnitRequired);
      if (!age) return std::unexpected(age.error());
      settings.retention_age = *age;
    }
    if (retention.has("size")) {
      auto text = non_empty_text(retention, "size");
      if (!text) return std::unexpected(text.error());
      if (*text) {
        auto size = parse_byte_size(**text);
        if (!size) return retention.fail("size", size.error().message);
        settings.retention_size = *size;
      }
    }
    return {};
  }

  Result<void> parse_retry(const YamlMap& retry, DevSettings& settings) const {
    if (auto r = retry.check_keys(kRetryKeys); !r) return r;
    auto attempts =
        retry.optional_int("max_attempts", Typing::kCoerce, {0, std::numeric_limits<int>::max()});
    if (!attempts) return std::unexpected(attempts.error());
    if (*attempts) settings.retry_max_attempts = static_cast<int>(**attempts);
    if (retry.has("max_age")) {
      auto age = duration_value(retry, "max_age", kUnitRequired);
      if (!age) return std::unexpected(age.error());
      settings.retry_max_age = *age;
    }
    return {};
  }

  Result<void> parse_hosts(const YamlMap& hosts, std::map<std::string, std::string>& out) const {
    auto entries = hosts.entries();
    if (!entries) return std::unexpected(entries.error());
    for (const auto& [name, item] : *entries) {
      auto target = non_empty_item_text(item, m_document);
      if (!target) return std::unexpected(target.error());
      // A socket file, like every path here, is relative to this file.
      if (target->starts_with(kUnixTarget) && target->size() > kUnixTarget.size()) {
        *target =
            std::string(kUnixTarget) + absolute(m_base_dir, target->substr(kUnixTarget.size()));
      }
      if (auto mapping = parse_host_mapping(name + "=" + *target); !mapping) {
        return fail_at(item, m_document, mapping.error().message);
      }
      out[name] = *target;
    }
    return {};
  }

  // `tls:` paths are resolved here; whether the files read is checked when
  // the configuration is applied (endpoint_tls.h), like module.yaml's.
  Result<void> parse_tls(const YamlMap& map, DevTls& tls) const {
    if (auto r = map.check_keys(kTlsKeys, kAliases); !r) return r;
    const std::array<std::pair<std::string_view, std::optional<ConfiguredPath>*>, 4> fields = {{
        {"ca", &tls.ca},
        {"client_cert", &tls.client_cert},
        {"client_key", &tls.client_key},
        {"client_key_password_file", &tls.client_key_password_file},
    }};
    for (const auto& [key, target] : fields) {
      auto path = non_empty_text(map, key);
      if (!path) return std::unexpected(path.error());
      if (*path) *target = ConfiguredPath{absolute(m_base_dir, **path), where(map, key)};
    }
    auto insecure = map.optional_bool("insecure_skip_verify");
    if (!insecure) return std::unexpected(insecure.error());
    if (*insecure) {
      tls.insecure_skip_verify = **insecure;
      tls.insecure_skip_verify_where = where(map, "insecure_skip_verify");
    }
    return {};
  }

  // "statefun.yaml:7:7: tls.ca": what a later error about the value starts with.
  static std::string where(const YamlMap& map, std::string_view key) {
    std::string text = map.fail(key, "").error().message;  // "<where>: "
    text.resize(text.size() - 2);
    return text;
  }

  // A command line, or a list of words quoted for /bin/sh.
  Result<std::string> parse_command(const YamlMap& process,
                                    std::string_view key = "command") const {
    const YAML::Node node = *process.get(key);
    if (node.IsSequence() && node.size() > 0) {
      auto words = process.optional_list(key);
      if (!words) return std::unexpected(words.error());
      std::string command;
      for (const YamlItem& item : **words) {
        auto word = non_empty_item_text(item, m_document);
        if (!word) return std::unexpected(word.error());
        command += (command.empty() ? "" : " ") + shell_quote(*word);
      }
      return command;
    }
    auto text = non_empty_text(process, key);
    if (!text) return std::unexpected(text.error());
    return **text;
  }

  // `install: CMD` (a string or a list of words), or
  // `install: {command: CMD, inputs: [GLOB, ...]}`.
  Result<void> parse_install(const YamlMap& process, ProcessSpec& spec) const {
    const auto node = process.get("install");
    if (!node) return {};
    if (!node->IsMap()) {
      auto command = parse_command(process, "install");
      if (!command) return std::unexpected(command.error());
      spec.install.command = *command;
      return {};
    }
    auto install = process.optional_map("install");
    if (!install) return std::unexpected(install.error());
    const YamlMap& map = **install;
    if (auto r = map.check_keys(kInstallKeys, kAliases); !r) return r;
    if (!map.has("command")) return map.fail("command", "missing required field");
    auto command = parse_command(map);
    if (!command) return std::unexpected(command.error());
    spec.install.command = *command;
    return parse_globs(map, "inputs", spec.install.inputs);
  }

  Result<ProcessSpec> parse_process(const YamlMap& process) const {
    if (auto r = process.check_keys(kProcessKeys, kAliases); !r) return std::unexpected(r.error());
    ProcessSpec spec;
    for (const char* key : {"name", "command"}) {
      if (!process.has(key)) return process.fail(key, "missing required field");
    }
    auto name = non_empty_text(process, "name");
    if (!name) return std::unexpected(name.error());
    const bool valid_name = std::ranges::all_of(**name, [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    });
    if (!valid_name) {
      return process.fail(
          "name",
          fmt::format("{} may only contain letters, digits, '-', '_' and '.'", in_quotes(**name)));
    }
    spec.name = **name;
    auto command = parse_command(process);
    if (!command) return std::unexpected(command.error());
    spec.command = *command;

    spec.working_dir = m_base_dir;
    auto dir = non_empty_text(process, "working_dir");
    if (!dir) return std::unexpected(dir.error());
    if (*dir) spec.working_dir = absolute(m_base_dir, **dir);

    auto env = process.optional_map("env");
    if (!env) return std::unexpected(env.error());
    if (*env) {
      auto entries = (*env)->entries();
      if (!entries) return std::unexpected(entries.error());
      for (const auto& [key, item] : *entries) {
        auto value = item_text(item, m_document);
        if (!value) return std::unexpected(value.error());
        spec.env[key] = *value;
      }
    }
    if (auto r = parse_endpoint(process, spec); !r) return std::unexpected(r.error());
    auto ready = process.optional_map("ready");
    if (!ready) return std::unexpected(ready.error());
    if (*ready) {
      if (auto r = parse_ready(**ready, spec); !r) return std::unexpected(r.error());
    }
    if (auto r = parse_globs(process, "watch", spec.watch); !r) return std::unexpected(r.error());
    if (auto r = parse_install(process, spec); !r) return std::unexpected(r.error());
    if (auto r = parse_start(process, spec); !r) return std::unexpected(r.error());
    return spec;
  }

  // `start: always | on-demand` and `idle_stop: DURATION` (on-demand only).
  Result<void> parse_start(const YamlMap& process, ProcessSpec& spec) const {
    auto start = process.optional_choice("start", {"always", "on-demand"});
    if (!start) return std::unexpected(start.error());
    spec.on_demand = *start && **start == "on-demand";
    auto idle_stop = duration_value(process, "idle_stop", kUnitRequired);
    if (!idle_stop) return std::unexpected(idle_stop.error());
    if (*idle_stop) {
      if (!spec.on_demand) {
        return process.fail("idle_stop",
                            "needs `start: on-demand` (a process that always runs is never "
                            "stopped when idle)");
      }
      if (**idle_stop <= std::chrono::milliseconds(0)) {
        return process.fail("idle_stop", "must be longer than 0");
      }
      spec.idle_stop = **idle_stop;
    }
    return {};
  }

  // One glob or a list of them.
  Result<void> parse_globs(const YamlMap& map, std::string_view key, std::vector<std::string>& out,
                           std::string_view what = "globs") const {
    const auto node = map.get(key);
    if (!node) return {};
    if (node->IsScalar()) {
      out.push_back(node->Scalar());
      return {};
    }
    if (!node->IsSequence()) {
      return map.fail(key, fmt::format("expected a list of {}, got {}", what, describe(*node)));
    }
    auto globs = map.optional_list(key);
    if (!globs) return std::unexpected(globs.error());
    for (const YamlItem& item : **globs) {
      auto glob = non_empty_item_text(item, m_document);
      if (!glob) return std::unexpected(glob.error());
      out.push_back(*glob);
    }
    return {};
  }

  // url, port, and the PORT variable: where the process serves.
  Result<void> parse_endpoint(const YamlMap& process, ProcessSpec& spec) const {
    std::optional<int> url_port;
    auto url = non_empty_text(process, "url");
    if (!url) return std::unexpected(url.error());
    if (*url) {
      auto parts = parse_url(**url);
      if (!parts) return process.fail("url", parts.error().message);
      spec.url = **url;
      url_port = parts->port;
    }
    auto port = process.optional_int("port", Typing::kCoerce, {1, 65535});
    if (!port) return std::unexpected(port.error());
    if (*port) {
      const int value = static_cast<int>(**port);
      if (url_port && *url_port != value) {
        return process.fail("port",
                            fmt::format("{} differs from the port of url ({})", value, *url_port));
      }
      spec.port = value;
    } else if (url_port) {
      spec.port = url_port;
    } else if (auto it = spec.env.find("PORT"); it != spec.env.end()) {
      // Not a port number: the process has no known port (no error, as env
      // values are the process's business).
      if (auto port = port_number(it->second, 1)) spec.port = *port;
    }
    return {};
  }

  Result<void> parse_ready(const YamlMap& ready, ProcessSpec& spec) const {
    if (auto r = ready.check_keys(kReadyKeys); !r) return r;
    auto http = non_empty_text(ready, "http");
    if (!http) return std::unexpected(http.error());
    if (*http) {
      const std::string& text = **http;
      if (text.starts_with("/")) {
        // A path on the process's own address.
        if (!spec.port) {
          return ready.fail("http",
                            "a path needs the process's port (set port, url or env PORT), or give "
                            "a full URL");
        }
        Url base{.scheme = "http", .host = "localhost", .port = *spec.port};
        if (auto parts = parse_url(spec.url)) base = *parts;
        base.target = text;
        base.explicit_port = true;
        spec.ready.http_url = base.str();
      } else if (auto parsed = parse_url(text); parsed) {
        spec.ready.http_url = text;
      } else {
        return ready.fail("http", "expected a path (/health) or a URL: " + parsed.error().message);
      }
    }
    // A bare "30" is more likely seconds than minutes here.
    auto timeout = duration_value(ready, "timeout", DurationRules{});
    if (!timeout) return std::unexpected(timeout.error());
    if (*timeout) spec.ready.timeout = **timeout;
    return {};
  }

  YamlDocument m_document;
  std::string m_base_dir;
};

}  // namespace

Result<DevConfig> parse_dev_config(std::string_view text, const std::string& path,
                                   const std::string& base_dir) {
  auto root = load_yaml_document(text, path);
  if (!root) return std::unexpected(root.error());
  try {
    return Parser(path, base_dir).parse(*root);
  } catch (const YAML::Exception& e) {  // a shape the readers did not expect
    return std::unexpected(yaml_exception_error(path, e));
  }
}

Result<DevConfig> load_dev_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(ErrorCode::kNotFound, fmt::format("{}: cannot read the file", path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::error_code ec;
  const std::string base = fs::absolute(fs::path(path), ec).parent_path().string();
  return parse_dev_config(text.str(), path, base);
}

std::string dev_config_path_for(const std::string& module_path) {
  return (fs::path(module_path).parent_path() / "statefun.yaml").string();
}

DevConfig apply_overrides(DevConfig file, const DevOverrides& overrides) {
  const DevSettings& over = overrides.settings;
  DevSettings& settings = file.settings;
  if (over.data_dir) settings.data_dir = over.data_dir;
  if (over.listen_host) settings.listen_host = over.listen_host;
  if (over.kafka_connect) settings.kafka_connect = over.kafka_connect;
  if (over.admin_port) settings.admin_port = over.admin_port;
  if (over.ingress_port) settings.ingress_port = over.ingress_port;
  if (over.egress_port) settings.egress_port = over.egress_port;
  if (over.snapshot_every) settings.snapshot_every = over.snapshot_every;
  if (over.snapshot_keep) settings.snapshot_keep = over.snapshot_keep;
  if (over.snapshot_on_exit) settings.snapshot_on_exit = over.snapshot_on_exit;
  if (over.history_versions) settings.history_versions = over.history_versions;
  if (over.retention_age) settings.retention_age = over.retention_age;
  if (over.retry_max_attempts) settings.retry_max_attempts = over.retry_max_attempts;
  if (over.retry_max_age) settings.retry_max_age = over.retry_max_age;
  if (over.retention_size) settings.retention_size = over.retention_size;
  if (overrides.process) {
    file.processes = {*overrides.process};
    if (const auto port = overrides.process->port) {
      file.one_process_port = port;
      // `functions: localhost` meant "the process statefun.yaml starts";
      // now that is this one, listening on `--port`.
      for (auto& [name, target] : file.hosts) {
        auto url = parse_url("http://" + target);
        if (url && !url->explicit_port && is_local_host(url->host)) {
          target += ":" + std::to_string(*port);
        }
      }
    }
  }
  for (auto& process : file.processes) {
    auto moved = overrides.process_ports.find(process.name);
    if (moved == overrides.process_ports.end()) continue;
    const int port = moved->second;
    if (process.port && *process.port != port) file.moved_ports[*process.port] = port;
    if (auto env = process.env.find("PORT");
        env != process.env.end() && process.port && env->second == std::to_string(*process.port)) {
      env->second = std::to_string(port);
    }
    if (auto url = parse_url(process.url); url && !process.url.empty()) {
      url->port = port;
      url->explicit_port = true;
      process.url = url->str();
    }
    process.port = port;
  }
  for (const auto& [name, target] : overrides.hosts) file.hosts[name] = target;
  return file;
}

ProcessSpec command_process(const std::vector<std::string>& argv, int port,
                            const std::string& working_dir, std::vector<std::string> watch) {
  ProcessSpec spec;
  std::string command;
  for (const auto& word : argv) command += (command.empty() ? "" : " ") + shell_quote(word);
  spec.command = command;
  spec.working_dir = working_dir;
  spec.port = port;
  spec.env["PORT"] = std::to_string(port);

  // `node functions.js` is "functions"; `npm start` is "npm"; `java -cp
  // lib/log4j-1.2.17.jar:... Main` is "java", not the last jar's name: only an
  // argument that is a script (by its extension), or the jar of `-jar`,
  // names the process; otherwise the program does.
  static const std::set<std::string> kInterpreters = {"node", "python", "python3", "deno",
                                                      "bun",  "ruby",   "java",    "dotnet"};
  static const std::set<std::string> kScripts = {".js", ".mjs", ".cjs", ".ts",  ".py",
                                                 ".rb", ".jar", ".dll", ".mts", ".cts"};
  const std::string program = argv.empty() ? "functions" : fs::path(argv[0]).filename().string();
  spec.name = program;
  std::optional<fs::path> script;
  // Options whose value is the next argument, and options after which no
  // script file follows (a module, inline code).
  static const std::set<std::string> kWithValue = {
      "-cp",      "-classpath", "--class-path", "-p", "--module-path", "-r", "--require",
      "--import", "--loader",   "-W",           "-X"};
  static const std::set<std::string> kNoScript = {"-m", "-c", "-e", "--eval", "-p", "--print"};
  if (kInterpreters.contains(program)) {
    for (std::size_t i = 1; i < argv.size(); ++i) {
      const std::string& word = argv[i];
      if (word == "-jar") continue;  // the jar follows: it names the process
      if (program != "java" && kNoScript.contains(word)) break;
      if (kWithValue.contains(word)) {
        ++i;
        continue;
      }
      if (word.starts_with("-")) continue;
      const fs::path candidate(word);
      if (kScripts.contains(candidate.extension().string())) script = candidate;
      break;  // the first argument that is not an option decides
    }
  }
  if (script && !script->stem().empty()) spec.name = script->stem().string();
  std::erase_if(spec.name, [](char c) {
    return !std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.';
  });
  if (spec.name.empty()) spec.name = "functions";

  if (!watch.empty()) {
    spec.watch = std::move(watch);
  } else if (script && script->has_extension()) {
    // Files of the script's language beside it, as nodemon does.
    const fs::path folder = script->parent_path();
    spec.watch.push_back((folder / ("*" + script->extension().string())).string());
  }
  return spec;
}

Result<std::pair<std::string, std::string>> parse_host_mapping(std::string_view text) {
  const auto equals = text.find('=');
  const auto bad = [&](std::string_view why) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{}: {}; expected name=host, name=host:port or "
                                  "name=unix:/path/to/file.sock",
                                  in_quotes(text), why));
  };
  if (equals == std::string_view::npos) return bad("no '='");
  std::string name(text.substr(0, equals));
  std::string target(text.substr(equals + 1));
  if (name.empty()) return bad("the host name is empty");
  if (target.empty()) return bad("the target is empty");
  if (target.starts_with(kUnixTarget)) {
    // The socket file becomes the start of a Unix socket URL's path.
    const std::string_view socket = std::string_view(target).substr(kUnixTarget.size());
    const bool plain = std::ranges::none_of(
        socket, [](unsigned char c) { return c <= 0x20 || c == 0x7f || c == '?' || c == '#'; });
    if (!plain || !socket.starts_with('/') || !socket.ends_with(".sock") ||
        socket.ends_with("/.sock")) {
      return bad(
          "a Unix socket target is an absolute file path ending in .sock, without spaces, '?' "
          "or '#'");
    }
    return std::pair{std::move(name), std::move(target)};
  }
  const auto colon = target.rfind(':');
  if (colon != std::string::npos && target.find(']', colon) == std::string::npos) {
    if (!port_number(std::string_view(target).substr(colon + 1), 1)) {
      return bad("the port is not a number in 1-65535");
    }
    if (colon == 0) return bad("the host is empty");
  }
  // map_host reads the target as a URL's host and port: refuse what it
  // would silently skip (an IPv6 address without brackets, a path).
  if (auto url = parse_url("http://" + target); !url || !url->target.empty()) {
    return bad("expected a host or host:port, an IPv6 address in brackets");
  }
  return std::pair{std::move(name), std::move(target)};
}

}  // namespace statefun::emulator
