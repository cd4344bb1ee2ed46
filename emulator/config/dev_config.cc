#include "emulator/config/dev_config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "emulator/config/http_url.h"
#include "runtime/core/time_text.h"

namespace statefun::emulator {
namespace fs = std::filesystem;

namespace {

using Keys = std::vector<std::string_view>;

const Keys kTopKeys = {"data", "listen", "ports", "hosts", "processes", "snapshots", "retention"};
const Keys kSnapshotKeys = {"every", "keep", "on_exit"};
const Keys kRetentionKeys = {"history_versions", "age"};
const Keys kPortKeys = {"admin", "ingress", "egress"};
const Keys kProcessKeys = {"name", "command", "working_dir", "env",
                           "url",  "port",    "ready",       "watch"};
const Keys kReadyKeys = {"http", "timeout"};

// Words people reach for out of habit (docker-compose, Procfiles, ...).
const std::map<std::string_view, std::string_view> kAliases = {
    {"cmd", "command"},           {"run", "command"},         {"exec", "command"},
    {"cwd", "working_dir"},       {"dir", "working_dir"},     {"workdir", "working_dir"},
    {"directory", "working_dir"}, {"environment", "env"},     {"files", "watch"},
    {"readiness", "ready"},       {"health", "ready"},        {"healthcheck", "ready"},
    {"process", "processes"},     {"functions", "processes"}, {"host", "hosts"},
    {"data_dir", "data"},         {"state", "data"},          {"port", "ports"},
};

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string in_quotes(std::string_view text) { return fmt::format("\"{}\"", text); }

std::string describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  return in_quotes(node.Scalar());
}

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

// Walks one statefun.yaml; every error names the file, line and key path.
class Parser {
 public:
  Parser(std::string path, std::string base_dir)
      : m_path(std::move(path)), m_base_dir(std::move(base_dir)) {}

  Result<DevConfig> parse(const YAML::Node& root) {
    DevConfig config;
    config.path = m_path;
    if (!root.IsDefined() || root.IsNull()) return config;  // an empty file is fine
    if (!root.IsMap())
      return fail(root, "", "expected a mapping at the top, got " + describe(root));
    if (auto r = check_keys(root, "", kTopKeys); !r) return std::unexpected(r.error());

    if (auto data = root["data"]; data) {
      auto text = string_value(data, "data");
      if (!text) return std::unexpected(text.error());
      config.settings.data_dir = absolute(m_base_dir, *text);
    }
    if (auto listen = root["listen"]; listen) {
      auto text = string_value(listen, "listen");
      if (!text) return std::unexpected(text.error());
      config.settings.listen_host = *text;
    }
    if (auto ports = root["ports"]; ports) {
      if (auto r = parse_ports(ports, config.settings); !r) return std::unexpected(r.error());
    }
    if (auto hosts = root["hosts"]; hosts) {
      if (auto r = parse_hosts(hosts, config.hosts); !r) return std::unexpected(r.error());
    }
    if (auto snapshots = root["snapshots"]; snapshots) {
      if (auto r = parse_snapshots(snapshots, config.settings); !r)
        return std::unexpected(r.error());
    }
    if (auto retention = root["retention"]; retention) {
      if (auto r = parse_retention(retention, config.settings); !r)
        return std::unexpected(r.error());
    }
    if (auto processes = root["processes"]; processes) {
      if (!processes.IsSequence()) {
        return fail(processes, "processes", "expected a list, got " + describe(processes));
      }
      std::map<std::string, std::size_t> names;
      for (std::size_t i = 0; i < processes.size(); ++i) {
        const std::string where = fmt::format("processes[{}]", i);
        auto process = parse_process(processes[i], where);
        if (!process) return std::unexpected(process.error());
        if (auto [it, fresh] = names.emplace(process->name, i); !fresh) {
          return fail(processes[i]["name"], where + ".name",
                      fmt::format("{} is already the name of processes[{}]",
                                  in_quotes(process->name), it->second));
        }
        config.processes.push_back(std::move(*process));
      }
    }
    return config;
  }

 private:
  std::unexpected<Error> fail(const YAML::Node& node, const std::string& where,
                              const std::string& why) const {
    const int line = node.IsDefined() ? node.Mark().line + 1 : 0;
    std::string at = line > 0 ? fmt::format("{}:{}", m_path, line) : m_path;
    return make_error(ErrorCode::kInvalidArgument, where.empty()
                                                       ? fmt::format("{}: {}", at, why)
                                                       : fmt::format("{}: {}: {}", at, where, why));
  }

  static std::string join(const std::string& prefix, std::string_view key) {
    return prefix.empty() ? std::string(key) : prefix + "." + std::string(key);
  }

  Result<void> check_keys(const YAML::Node& map, const std::string& prefix,
                          const Keys& allowed) const {
    for (const auto& entry : map) {
      const std::string key = entry.first.Scalar();
      if (std::ranges::find(allowed, key) != allowed.end()) continue;
      std::string why = "unknown key";
      std::optional<std::string> guess;
      if (auto alias = kAliases.find(key);
          alias != kAliases.end() && std::ranges::find(allowed, alias->second) != allowed.end()) {
        guess = std::string(alias->second);
      } else {
        guess = closest_word(key, allowed);
      }
      if (guess) {
        why += fmt::format(" (did you mean {}?)", in_quotes(*guess));
      } else {
        std::string known;
        for (auto k : allowed) known += (known.empty() ? "" : ", ") + std::string(k);
        why += fmt::format(" (expected one of: {})", known);
      }
      return fail(entry.first, join(prefix, key), why);
    }
    return {};
  }

  Result<std::string> string_value(const YAML::Node& node, const std::string& where) const {
    if (!node.IsScalar() || node.Scalar().empty()) {
      return fail(node, where, "expected a non-empty string, got " + describe(node));
    }
    return node.Scalar();
  }

  Result<int> port_value(const YAML::Node& node, const std::string& where, int lowest) const {
    if (!node.IsScalar()) {
      return fail(node, where,
                  fmt::format("expected a port number ({}-65535), got {}", lowest, describe(node)));
    }
    auto port = port_number(node.Scalar(), lowest);
    if (!port) return fail(node, where, port.error().message);
    return *port;
  }

  Result<void> parse_ports(const YAML::Node& ports, DevSettings& settings) const {
    if (!ports.IsMap()) return fail(ports, "ports", "expected a mapping, got " + describe(ports));
    if (auto r = check_keys(ports, "ports", kPortKeys); !r) return r;
    struct Field {
      const char* key;
      std::optional<int>& target;
      int lowest;  // admin may be 0: any free port
    };
    for (Field field :
         {Field{"admin", settings.admin_port, 0}, Field{"ingress", settings.ingress_port, 1},
          Field{"egress", settings.egress_port, 1}}) {
      if (auto node = ports[field.key]; node) {
        auto port = port_value(node, join("ports", field.key), field.lowest);
        if (!port) return std::unexpected(port.error());
        field.target = *port;
      }
    }
    return {};
  }

  // A duration in the one time grammar (docs/time.md); a bare number has no
  // unit here, except "0" (off).
  Result<std::chrono::milliseconds> duration_value(const YAML::Node& node, const std::string& where,
                                                   const DurationRules& rules) const {
    auto text = string_value(node, where);
    if (!text) return std::unexpected(text.error());
    auto duration = parse_duration(*text, rules);
    if (!duration) return fail(node, where, duration.error().message);
    return *duration;
  }

  Result<int64_t> count_value(const YAML::Node& node, const std::string& where) const {
    int64_t value = -1;
    if (node.IsScalar()) {
      const auto& text = node.Scalar();
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (error != std::errc() || end != text.data() + text.size()) value = -1;
    }
    if (value < 0) return fail(node, where, "expected a whole number >= 0, got " + describe(node));
    return value;
  }

  Result<void> parse_snapshots(const YAML::Node& node, DevSettings& settings) const {
    if (!node.IsMap()) return fail(node, "snapshots", "expected a mapping, got " + describe(node));
    if (auto r = check_keys(node, "snapshots", kSnapshotKeys); !r) return r;
    if (auto every = node["every"]; every) {
      auto value = duration_value(every, "snapshots.every", kUnitRequired);
      if (!value) return std::unexpected(value.error());
      settings.snapshot_every = *value;
    }
    if (auto keep = node["keep"]; keep) {
      auto value = count_value(keep, "snapshots.keep");
      if (!value) return std::unexpected(value.error());
      if (*value < 1 || *value > 100000) {
        return fail(keep, "snapshots.keep", "expected a number from 1 to 100000");
      }
      settings.snapshot_keep = static_cast<int>(*value);
    }
    if (auto on_exit = node["on_exit"]; on_exit) {
      bool value = false;
      if (!on_exit.IsScalar() || !YAML::convert<bool>::decode(on_exit, value)) {
        return fail(on_exit, "snapshots.on_exit",
                    "expected true or false, got " + describe(on_exit));
      }
      settings.snapshot_on_exit = value;
    }
    return {};
  }

  Result<void> parse_retention(const YAML::Node& node, DevSettings& settings) const {
    if (!node.IsMap()) return fail(node, "retention", "expected a mapping, got " + describe(node));
    if (auto r = check_keys(node, "retention", kRetentionKeys); !r) return r;
    if (auto versions = node["history_versions"]; versions) {
      auto value = count_value(versions, "retention.history_versions");
      if (!value) return std::unexpected(value.error());
      settings.history_versions = *value;
    }
    if (auto age = node["age"]; age) {
      auto value = duration_value(age, "retention.age", kUnitRequired);
      if (!value) return std::unexpected(value.error());
      settings.retention_age = *value;
    }
    return {};
  }

  Result<void> parse_hosts(const YAML::Node& hosts, std::map<std::string, std::string>& out) const {
    if (!hosts.IsMap()) return fail(hosts, "hosts", "expected a mapping, got " + describe(hosts));
    for (const auto& entry : hosts) {
      const std::string name = entry.first.Scalar();
      const std::string where = join("hosts", name);
      auto target = string_value(entry.second, where);
      if (!target) return std::unexpected(target.error());
      if (auto mapping = parse_host_mapping(name + "=" + *target); !mapping) {
        return fail(entry.second, where, mapping.error().message);
      }
      out[name] = *target;
    }
    return {};
  }

  Result<std::string> parse_command(const YAML::Node& node, const std::string& where) const {
    if (node.IsSequence() && node.size() > 0) {
      std::string command;
      for (std::size_t i = 0; i < node.size(); ++i) {
        auto word = string_value(node[i], fmt::format("{}[{}]", where, i));
        if (!word) return std::unexpected(word.error());
        command += (i ? " " : "") + shell_quote(*word);
      }
      return command;
    }
    return string_value(node, where);
  }

  Result<ProcessSpec> parse_process(const YAML::Node& node, const std::string& where) const {
    if (!node.IsMap()) return fail(node, where, "expected a mapping, got " + describe(node));
    if (auto r = check_keys(node, where, kProcessKeys); !r) return std::unexpected(r.error());
    ProcessSpec spec;
    for (const char* key : {"name", "command"}) {
      if (!node[key])
        return fail(node, where, fmt::format("missing required key {}", in_quotes(key)));
    }
    auto name = string_value(node["name"], where + ".name");
    if (!name) return std::unexpected(name.error());
    const bool valid_name = std::ranges::all_of(*name, [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    });
    if (!valid_name) {
      return fail(
          node["name"], where + ".name",
          fmt::format("{} may only contain letters, digits, '-', '_' and '.'", in_quotes(*name)));
    }
    spec.name = *name;
    auto command = parse_command(node["command"], where + ".command");
    if (!command) return std::unexpected(command.error());
    spec.command = *command;

    spec.working_dir = m_base_dir;
    if (auto dir = node["working_dir"]; dir) {
      auto text = string_value(dir, where + ".working_dir");
      if (!text) return std::unexpected(text.error());
      spec.working_dir = absolute(m_base_dir, *text);
    }
    if (auto env = node["env"]; env) {
      if (!env.IsMap())
        return fail(env, where + ".env", "expected a mapping, got " + describe(env));
      for (const auto& entry : env) {
        const std::string key = entry.first.Scalar();
        if (!entry.second.IsScalar()) {
          return fail(entry.second, join(where + ".env", key),
                      "expected a string or number, got " + describe(entry.second));
        }
        spec.env[key] = entry.second.Scalar();
      }
    }
    if (auto r = parse_endpoint(node, where, spec); !r) return std::unexpected(r.error());
    if (auto ready = node["ready"]; ready) {
      if (auto r = parse_ready(ready, where + ".ready", spec); !r)
        return std::unexpected(r.error());
    }
    if (auto watch = node["watch"]; watch) {
      if (watch.IsScalar()) {
        spec.watch.push_back(watch.Scalar());
      } else if (watch.IsSequence()) {
        for (std::size_t i = 0; i < watch.size(); ++i) {
          auto glob = string_value(watch[i], fmt::format("{}.watch[{}]", where, i));
          if (!glob) return std::unexpected(glob.error());
          spec.watch.push_back(*glob);
        }
      } else {
        return fail(watch, where + ".watch", "expected a list of globs, got " + describe(watch));
      }
    }
    return spec;
  }

  // url, port, and the PORT variable: where the process serves.
  Result<void> parse_endpoint(const YAML::Node& node, const std::string& where,
                              ProcessSpec& spec) const {
    std::optional<int> url_port;
    if (auto url = node["url"]; url) {
      auto text = string_value(url, where + ".url");
      if (!text) return std::unexpected(text.error());
      auto parts = parse_url(*text);
      if (!parts) {
        return fail(url, where + ".url",
                    fmt::format("expected http://host[:port]/path, got {}", in_quotes(*text)));
      }
      spec.url = *text;
      url_port = parts->port;
    }
    if (auto port = node["port"]; port) {
      auto value = port_value(port, where + ".port", 1);
      if (!value) return std::unexpected(value.error());
      if (url_port && *url_port != *value) {
        return fail(port, where + ".port",
                    fmt::format("{} differs from the port of url ({})", *value, *url_port));
      }
      spec.port = *value;
    } else if (url_port) {
      spec.port = url_port;
    } else if (auto it = spec.env.find("PORT"); it != spec.env.end()) {
      // Not a port number: the process has no known port (no error, as env
      // values are the process's business).
      if (auto port = port_number(it->second, 1)) spec.port = *port;
    }
    return {};
  }

  Result<void> parse_ready(const YAML::Node& ready, const std::string& where,
                           ProcessSpec& spec) const {
    if (!ready.IsMap()) return fail(ready, where, "expected a mapping, got " + describe(ready));
    if (auto r = check_keys(ready, where, kReadyKeys); !r) return r;
    if (auto http = ready["http"]; http) {
      auto text = string_value(http, where + ".http");
      if (!text) return std::unexpected(text.error());
      if (text->starts_with("/")) {
        // A path on the process's own address.
        if (!spec.port) {
          return fail(http, where + ".http",
                      "a path needs the process's port (set port, url or env PORT), or give a "
                      "full URL");
        }
        Url base{.scheme = "http", .host = "localhost", .port = *spec.port};
        if (auto parts = parse_url(spec.url)) base = *parts;
        base.target = *text;
        base.explicit_port = true;
        spec.ready.http_url = base.str();
      } else if (parse_url(*text)) {
        spec.ready.http_url = *text;
      } else {
        return fail(http, where + ".http",
                    fmt::format("expected a path (/health) or http://host[:port]/path, got {}",
                                in_quotes(*text)));
      }
    }
    if (auto timeout = ready["timeout"]; timeout) {
      // A bare "30" is more likely seconds than minutes here.
      auto duration = duration_value(timeout, where + ".timeout", DurationRules{});
      if (!duration) return std::unexpected(duration.error());
      spec.ready.timeout = *duration;
    }
    return {};
  }

  std::string m_path;
  std::string m_base_dir;
};

}  // namespace

std::optional<std::string> closest_word(std::string_view word,
                                        const std::vector<std::string_view>& candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (auto candidate : candidates) {
    const std::size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = std::string(candidate);
    }
  }
  return best;
}

Result<DevConfig> parse_dev_config(std::string_view text, const std::string& path,
                                   const std::string& base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{}:{}:{}: {}", path, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  try {
    return Parser(path, base_dir).parse(root);
  } catch (const YAML::Exception& e) {  // e.g. a key that is itself a mapping
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{}:{}: {}", path, e.mark.line + 1, e.msg));
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
  if (over.admin_port) settings.admin_port = over.admin_port;
  if (over.ingress_port) settings.ingress_port = over.ingress_port;
  if (over.egress_port) settings.egress_port = over.egress_port;
  if (over.snapshot_every) settings.snapshot_every = over.snapshot_every;
  if (over.snapshot_keep) settings.snapshot_keep = over.snapshot_keep;
  if (over.snapshot_on_exit) settings.snapshot_on_exit = over.snapshot_on_exit;
  if (over.history_versions) settings.history_versions = over.history_versions;
  if (over.retention_age) settings.retention_age = over.retention_age;
  for (const auto& [name, target] : overrides.hosts) file.hosts[name] = target;
  if (overrides.process) file.processes = {*overrides.process};
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

  // `node functions.js` is "functions"; `npm start` is "npm".
  static const std::set<std::string> kInterpreters = {"node", "python", "python3", "deno",
                                                      "bun",  "ruby",   "java",    "dotnet"};
  const std::string program = argv.empty() ? "functions" : fs::path(argv[0]).filename().string();
  spec.name = program;
  std::optional<fs::path> script;
  if (kInterpreters.contains(program)) {
    for (std::size_t i = 1; i < argv.size(); ++i) {
      if (argv[i].starts_with("-")) continue;
      script = fs::path(argv[i]);
      break;
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
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("{}: {}; expected name=host or name=host:port", in_quotes(text), why));
  };
  if (equals == std::string_view::npos) return bad("no '='");
  std::string name(text.substr(0, equals));
  std::string target(text.substr(equals + 1));
  if (name.empty()) return bad("the host name is empty");
  if (target.empty()) return bad("the target is empty");
  const auto colon = target.rfind(':');
  if (colon != std::string::npos && target.find(']', colon) == std::string::npos) {
    if (!port_number(std::string_view(target).substr(colon + 1), 1)) {
      return bad("the port is not a number in 1-65535");
    }
    if (colon == 0) return bad("the host is empty");
  }
  return std::pair{std::move(name), std::move(target)};
}

}  // namespace statefun::emulator
