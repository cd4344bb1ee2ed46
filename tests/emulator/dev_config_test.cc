#include "emulator/config/dev_config.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "emulator/config/function_routes.h"
#include "emulator/config/http_url.h"

namespace statefun::emulator {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

constexpr std::string_view kFull = R"(# every key statefun.yaml knows
data: state
listen: 127.0.0.1
ports:
  admin: 9092
  ingress: 9090
  egress: 9091
hosts:
  functions: localhost
  billing: 127.0.0.1:8001
processes:
  - name: functions
    command: node functions.js
    working_dir: app
    env:
      PORT: 8000
      DEBUG: "true"
    ready:
      http: /health
      timeout: 45s
    watch:
      - "*.js"
      - lib/**/*.js
  - name: billing
    command: [python3, billing.py, --verbose]
    url: http://billing:8001/statefun
)";

DevConfig parse_ok(std::string_view yaml) {
  auto config = parse_dev_config(yaml, "statefun.yaml", "/project");
  INFO((config ? std::string() : config.error().message));
  REQUIRE(config.has_value());
  return *config;
}

std::string parse_error(std::string_view yaml) {
  auto config = parse_dev_config(yaml, "statefun.yaml", "/project");
  REQUIRE_FALSE(config.has_value());
  CHECK(config.error().code == ErrorCode::kInvalidArgument);
  return config.error().message;
}

TEST_CASE("statefun.yaml: a full file parses with paths resolved against its folder",
          "[emulator]") {
  const DevConfig config = parse_ok(kFull);
  CHECK(config.settings.data_dir == "/project/state");
  CHECK(config.settings.listen_host == "127.0.0.1");
  CHECK(config.settings.admin_port == 9092);
  CHECK(config.settings.ingress_port == 9090);
  CHECK(config.settings.egress_port == 9091);
  CHECK(config.hosts.at("functions") == "localhost");
  CHECK(config.hosts.at("billing") == "127.0.0.1:8001");
  REQUIRE(config.processes.size() == 2);

  const ProcessSpec& functions = config.processes[0];
  CHECK(functions.name == "functions");
  CHECK(functions.command == "node functions.js");
  CHECK(functions.working_dir == "/project/app");
  CHECK(functions.env.at("PORT") == "8000");
  CHECK(functions.env.at("DEBUG") == "true");
  CHECK(functions.port == 8000);  // from PORT
  CHECK(functions.ready.http_url == "http://localhost:8000/health");
  CHECK(functions.ready.timeout == std::chrono::seconds(45));
  CHECK(functions.watch == std::vector<std::string>{"*.js", "lib/**/*.js"});

  const ProcessSpec& billing = config.processes[1];
  CHECK(billing.command == "python3 billing.py --verbose");
  CHECK(billing.working_dir == "/project");
  CHECK(billing.port == 8001);  // from url
  CHECK(billing.ready.timeout == std::chrono::seconds(30));
}

TEST_CASE("statefun.yaml: an empty file is a project with nothing to start", "[emulator]") {
  const DevConfig config = parse_ok("");
  CHECK(config.processes.empty());
  CHECK(config.hosts.empty());
  CHECK(config.settings == DevSettings{});
}

TEST_CASE("statefun.yaml: an unknown key names its path and line and suggests the right one",
          "[emulator]") {
  CHECK(parse_error("processes:\n  - name: f\n    comand: node f.js\n") ==
        R"(statefun.yaml:3:5: processes[0].comand: unknown key (did you mean "command"?))");
  CHECK(parse_error("processes:\n  - name: f\n    command: x\n    cwd: app\n") ==
        R"(statefun.yaml:4:5: processes[0].cwd: unknown key (did you mean "working_dir"?))");
  CHECK(parse_error("prots:\n  admin: 1\n") ==
        R"(statefun.yaml:1:1: prots: unknown key (did you mean "ports"?))");
  CHECK_THAT(parse_error("ports:\n  zebra: 1\n"),
             Contains("ports.zebra: unknown key (expected one of: admin, ingress, egress)"));
  CHECK_THAT(parse_error("processes:\n  - name: f\n    command: x\n    ready:\n      tpc: 1\n"),
             Contains("processes[0].ready.tpc: unknown key"));
}

TEST_CASE("statefun.yaml: wrong values say what was expected", "[emulator]") {
  CHECK_THAT(parse_error("processes:\n  - name: f\n"),
             Contains("processes[0].command: missing required field"));
  CHECK_THAT(parse_error("processes:\n  - command: x\n"),
             Contains("processes[0].name: missing required field"));
  CHECK_THAT(parse_error("ports:\n  ingress: lots\n"),
             Contains(R"(ports.ingress: expected an integer, got "lots")"));
  CHECK_THAT(parse_error("processes:\n  - name: f\n    command: x\n    port: 70000\n"),
             Contains("processes[0].port: expected an integer from 1 to 65535"));
  CHECK_THAT(parse_error("processes: {a: 1}\n"), Contains("processes: expected a list"));
  CHECK_THAT(parse_error("processes:\n  - name: a b\n    command: x\n"),
             Contains("processes[0].name: \"a b\" may only contain"));
  CHECK_THAT(parse_error("processes:\n  - {name: f, command: x}\n  - {name: f, command: y}\n"),
             Contains(R"(processes[1].name: "f" is already the name of processes[0])"));
  CHECK_THAT(parse_error("processes:\n  - {name: f, command: x, url: 'ftp://x/'}\n"),
             Contains(R"(processes[0].url: invalid URL "ftp://x/": unsupported scheme "ftp")"));
  CHECK_THAT(parse_error("processes:\n  - {name: f, command: x, port: 1, url: 'http://h:2/'}\n"),
             Contains("processes[0].port: 1 differs from the port of url (2)"));
  CHECK_THAT(parse_error("processes:\n  - {name: f, command: x, port: 1, ready: {timeout: 30}}\n"),
             Contains(R"(processes[0].ready.timeout: "30" has no unit; write e.g. "30s")"));
  CHECK_THAT(parse_error("processes:\n  - {name: f, command: x, ready: {http: /health}}\n"),
             Contains("processes[0].ready.http: a path needs the process's port"));
  CHECK_THAT(parse_error("hosts:\n  functions: 'localhost:x'\n"), Contains("hosts.functions:"));
  CHECK_THAT(parse_error("- just\n- a list\n"),
             StartsWith("statefun.yaml:1:1: expected a mapping at the top"));
}

TEST_CASE("statefun.yaml: a key with nothing after it is a mistake, not a default", "[emulator]") {
  CHECK(parse_error("data:\nlisten: 127.0.0.1\n") ==
        "statefun.yaml:1:1: data: expected a string, got null");
  CHECK(parse_error("processes:\n  - {name: f, command: x, env: {A: [1]}}\n") ==
        "statefun.yaml:2:36: processes[0].env.A: expected a string, got a list");
}

TEST_CASE("statefun.yaml: URLs follow the one URL grammar", "[emulator]") {
  const DevConfig config = parse_ok(
      "processes:\n  - {name: f, command: x, url: 'http://[::1]:9000/fn', "
      "ready: {http: /health}}\n");
  CHECK(config.processes.at(0).port == 9000);
  CHECK(config.processes.at(0).ready.http_url == "http://[::1]:9000/health");
  CHECK_THAT(parse_error("processes:\n  - {name: f, command: x, url: 'http://u:pw@h:1/'}\n"),
             Contains("processes[0].url: invalid URL \"http://***@h:1/\": user info"));
  CHECK_THAT(parse_error("processes:\n  - {name: f, command: x, ready: {http: 'health'}}\n"),
             Contains("processes[0].ready.http: expected a path (/health) or a URL: invalid URL "
                      "\"health\""));
}

TEST_CASE("statefun.yaml: start on demand, and stop when idle", "[emulator][on-demand]") {
  auto lazy = parse_ok("processes:\n  - {name: f, command: x, start: on-demand, idle_stop: 30s}\n");
  CHECK(lazy.processes.at(0).on_demand);
  CHECK(lazy.processes.at(0).idle_stop == std::chrono::seconds(30));
  auto forever = parse_ok("processes:\n  - {name: f, command: x, start: on-demand}\n");
  CHECK(forever.processes.at(0).on_demand);
  CHECK_FALSE(forever.processes.at(0).idle_stop.has_value());
  auto plain = parse_ok("processes:\n  - {name: f, command: x, start: always}\n");
  CHECK_FALSE(plain.processes.at(0).on_demand);

  CHECK_THAT(parse_error("processes:\n  - {name: f, command: x, start: lazy}\n"),
             Contains("processes[0].start") && Contains("on-demand"));
  CHECK_THAT(parse_error("processes:\n  - {name: f, command: x, idle_stop: 30s}\n"),
             Contains("processes[0].idle_stop: needs `start: on-demand`"));
  CHECK_THAT(
      parse_error("processes:\n  - {name: f, command: x, start: on-demand, idle_stop: 30}\n"),
      Contains("processes[0].idle_stop"));
  CHECK_THAT(
      parse_error("processes:\n  - {name: f, command: x, start: on-demand, idle-stop: 3s}\n"),
      Contains("processes[0].idle-stop: unknown key (did you mean \"idle_stop\"?)"));
}

TEST_CASE("statefun.yaml: an install step, a command or a command with its inputs", "[emulator]") {
  auto plain = parse_ok("processes:\n  - {name: f, command: node f.js, install: npm ci}\n");
  CHECK(plain.processes.at(0).install == InstallStep{"npm ci", {}});
  auto words = parse_ok("processes:\n  - {name: f, command: x, install: [pip, install, a b]}\n");
  CHECK(words.processes.at(0).install.command == "pip install 'a b'");
  auto full = parse_ok(
      "processes:\n  - name: f\n    command: java -jar t.jar\n    install:\n"
      "      command: mvn package\n      inputs: [pom.xml, \"src/**\"]\n");
  CHECK(full.processes.at(0).install == InstallStep{"mvn package", {"pom.xml", "src/**"}});
  CHECK(parse_ok("processes:\n  - {name: f, command: x}\n").processes.at(0).install ==
        InstallStep{});

  CHECK_THAT(parse_error("processes:\n  - {name: f, command: x, install: {inputs: [a]}}\n"),
             Contains("processes[0].install.command: missing required field"));
  CHECK_THAT(
      parse_error("processes:\n  - {name: f, command: x, install: {command: y, input: a}}\n"),
      Contains("processes[0].install.input: unknown key (did you mean \"inputs\"?)"));
  CHECK_THAT(parse_error("processes:\n  - {name: f, command: x, setup: npm ci}\n"),
             Contains("processes[0].setup: unknown key (did you mean \"install\"?)"));
  CHECK_THAT(parse_error("processes:\n  - {name: f, command: x, install: ''}\n"),
             Contains("processes[0].install: expected a non-empty string"));
}

TEST_CASE("statefun.yaml: a YAML syntax error names the file and line", "[emulator]") {
  CHECK_THAT(parse_error("processes:\n  - name: [f\n"), StartsWith("statefun.yaml:"));
}

TEST_CASE("statefun.yaml: flags and variables win over the file, field by field", "[emulator]") {
  DevConfig file = parse_ok(kFull);
  DevOverrides overrides;
  overrides.settings.admin_port = 7000;
  overrides.settings.data_dir = "/elsewhere";
  overrides.hosts["functions"] = "127.0.0.1:9999";
  const DevConfig merged = apply_overrides(file, overrides);
  CHECK(merged.settings.admin_port == 7000);
  CHECK(merged.settings.data_dir == "/elsewhere");
  CHECK(merged.settings.ingress_port == 9090);  // from the file
  CHECK(merged.hosts.at("functions") == "127.0.0.1:9999");
  CHECK(merged.hosts.at("billing") == "127.0.0.1:8001");
  CHECK(merged.processes.size() == 2);

  overrides.process = command_process({"node", "app.js"}, 8000, "/work", {});
  CHECK(apply_overrides(file, overrides).processes == std::vector{*overrides.process});
}

TEST_CASE("statefun dev -- CMD: one process named after its script, on PORT", "[emulator]") {
  const ProcessSpec node = command_process({"node", "src/functions.js"}, 8000, "/app", {});
  CHECK(node.name == "functions");
  CHECK(node.command == "node src/functions.js");
  CHECK(node.working_dir == "/app");
  CHECK(node.port == 8000);
  CHECK(node.env.at("PORT") == "8000");
  CHECK(node.watch == std::vector<std::string>{"src/*.js"});

  const ProcessSpec npm = command_process({"npm", "start"}, 9000, "/app", {"**/*.ts"});
  CHECK(npm.name == "npm");
  CHECK(npm.watch == std::vector<std::string>{"**/*.ts"});
  CHECK(command_process({"python3", "-u", "my app.py"}, 1, "/", {}).command ==
        "python3 -u 'my app.py'");
  // A long java command is named after the program, not its classpath's last jar.
  const ProcessSpec java = command_process(
      {"java", "-cp", "target/classes:lib/log4j-1.2.17.jar", "com.example.Main"}, 1, "/", {});
  CHECK(java.name == "java");
  CHECK(command_process({"java", "-jar", "target/greeter-1.0.jar"}, 1, "/", {}).name ==
        "greeter-1.0");
  CHECK(command_process({"/usr/bin/python3", "-m", "app"}, 1, "/", {}).name == "python3");
}

TEST_CASE("--host: name=host or name=host:port", "[emulator]") {
  auto ok = parse_host_mapping("functions=localhost:8001");
  REQUIRE(ok.has_value());
  CHECK(ok->first == "functions");
  CHECK(ok->second == "localhost:8001");
  CHECK_FALSE(parse_host_mapping("functions").has_value());
  CHECK_FALSE(parse_host_mapping("=localhost").has_value());
  CHECK_FALSE(parse_host_mapping("functions=localhost:0").has_value());
  CHECK(parse_host_mapping("functions=[::1]:8001").has_value());
}

TEST_CASE("--host: a target the hosts map could not use is refused, not skipped", "[emulator]") {
  // map_host reads the target as a URL's host and port; these would be ignored.
  for (const char* text : {"functions=::1", "functions=fe80::1:8000", "functions=host/path"}) {
    INFO(text);
    const auto mapping = parse_host_mapping(text);
    REQUIRE_FALSE(mapping.has_value());
    CHECK_THAT(mapping.error().message, Contains("an IPv6 address in brackets"));
  }
  CHECK(map_host("http://functions:8000/x", {{"functions", "[::1]:8001"}}) ==
        "http://[::1]:8001/x");
}

TEST_CASE("hosts map: a cluster's module.yaml URL resolves to this machine", "[emulator]") {
  const std::map<std::string, std::string> hosts = {{"functions", "localhost"},
                                                    {"billing", "127.0.0.1:8001"}};
  CHECK(map_host("http://functions:8000/statefun", hosts) == "http://localhost:8000/statefun");
  CHECK(map_host("http://billing:8000/{function.name}", hosts) ==
        "http://127.0.0.1:8001/{function.name}");
  CHECK(map_host("http://billing/x", hosts) == "http://127.0.0.1:8001/x");
  CHECK(map_host("http://other:8000/x", hosts) == "http://other:8000/x");
  CHECK(map_host("not a url", hosts) == "not a url");
}

TEST_CASE("routes: a function type is held behind the gate of the process serving its URL",
          "[emulator]") {
  auto module = parse_module_yaml(R"(kind: io.statefun.endpoints.v2/http
spec:
  functions: example/*
  urlPathTemplate: http://functions:8000/statefun
---
kind: io.statefun.endpoints.v2/http
spec:
  functions: remote/*
  urlPathTemplate: http://remote.example.com:8000/statefun
)",
                                  "module.yaml");
  REQUIRE(module.has_value());
  auto table = std::make_shared<RouteTable>();
  table->module = std::make_shared<const ModuleConfig>(*module);
  table->hosts = {{"functions", "localhost"}};
  table->processes = {command_process({"node", "functions.js"}, 8000, "/app", {})};

  auto local = table->resolve({"example", "person"});
  REQUIRE(local.has_value());
  CHECK(local->url == "http://localhost:8000/statefun");
  CHECK(local->gate == "functions");

  auto remote = table->resolve({"remote", "thing"});
  REQUIRE(remote.has_value());
  CHECK(remote->gate.empty());
  CHECK_FALSE(table->resolve({"nobody", "serves"}).has_value());

  const auto routes = describe_routes(*table);
  REQUIRE(routes.size() == 2);
  CHECK(routes[0].url == "http://localhost:8000/statefun");
  CHECK(routes[0].process == "functions");
  CHECK(routes[1].process.empty());
}

TEST_CASE("statefun dev -- CMD: module.yaml's cluster hosts reach the one process", "[emulator]") {
  auto module = parse_module_yaml(R"(kind: io.statefun.endpoints.v2/http
spec:
  functions: example/*
  urlPathTemplate: http://functions:8000/statefun
---
kind: io.statefun.endpoints.v2/http
spec:
  functions: svc/*
  urlPathTemplate: http://billing.default.svc.cluster.local:8001/statefun
---
kind: io.statefun.endpoints.v2/http
spec:
  functions: remote/*
  urlPathTemplate: http://remote.example.com:8000/statefun
---
kind: io.statefun.endpoints.v2/http
spec:
  functions: own/*
  urlPathTemplate: http://127.0.0.1:7000/statefun
)",
                                  "module.yaml");
  REQUIRE(module.has_value());
  auto route_for = [&](const DevConfig& config, const FunctionType& type) {
    RouteTable table;
    table.module = std::make_shared<const ModuleConfig>(*module);
    table.hosts = hosts_for(*module, config);
    table.processes = config.processes;
    auto route = table.resolve(type);
    REQUIRE(route.has_value());
    return *route;
  };

  SECTION("no statefun.yaml, default port") {
    DevOverrides overrides;
    overrides.process = command_process({"node", "functions.js"}, 8000, "/app", {});
    const DevConfig config = apply_overrides(DevConfig{}, overrides);
    CHECK(route_for(config, {"example", "person"}).url == "http://localhost:8000/statefun");
    CHECK(route_for(config, {"example", "person"}).gate == "functions");
    CHECK(route_for(config, {"svc", "x"}).url == "http://localhost:8000/statefun");
    // A real machine's name and an explicit local URL are left as written.
    CHECK(route_for(config, {"remote", "x"}).url == "http://remote.example.com:8000/statefun");
    CHECK(route_for(config, {"own", "x"}).url == "http://127.0.0.1:7000/statefun");
  }
  SECTION("statefun init's hosts map, with --port") {
    DevConfig file;
    file.hosts = {{"functions", "localhost"}, {"billing.default.svc.cluster.local", "h:9"}};
    DevOverrides overrides;
    overrides.process = command_process({"node", "functions.js"}, 9000, "/app", {});
    const DevConfig config = apply_overrides(file, overrides);
    CHECK(config.hosts.at("functions") == "localhost:9000");
    CHECK(route_for(config, {"example", "person"}).url == "http://localhost:9000/statefun");
    CHECK(route_for(config, {"example", "person"}).gate == "functions");
    CHECK(route_for(config, {"svc", "x"}).url == "http://h:9/statefun");  // its own port
  }
  SECTION("--host still wins") {
    DevOverrides overrides;
    overrides.process = command_process({"node", "functions.js"}, 9000, "/app", {});
    overrides.hosts["functions"] = "localhost";
    const DevConfig config = apply_overrides(DevConfig{}, overrides);
    CHECK(route_for(config, {"example", "person"}).url == "http://localhost:8000/statefun");
  }
  SECTION("without -- CMD nothing is guessed") { CHECK(hosts_for(*module, DevConfig{}).empty()); }
}

TEST_CASE("routes: every local host name reaches the same process", "[emulator]") {
  std::vector<ProcessSpec> processes(1);
  processes[0].name = "p";
  processes[0].port = 8000;
  for (const char* url :
       {"http://localhost:8000/x", "http://127.0.0.1:8000/", "http://[::1]:8000"}) {
    INFO(url);
    CHECK(process_serving(url, processes, {}) == &processes[0]);
  }
  CHECK(process_serving("http://localhost:8001/x", processes, {}) == nullptr);
  CHECK(process_serving("http://functions:8000/x", processes, {}) == nullptr);
}

TEST_CASE("statefun.yaml: protos and proto_paths, one or a list, resolved against its folder",
          "[emulator]") {
  const DevConfig one = parse_ok("protos: proto/shop.proto\nproto_paths: /usr/include\n");
  CHECK(one.protos == std::vector<std::string>{"/project/proto/shop.proto"});
  CHECK(one.proto_paths == std::vector<std::string>{"/usr/include"});
  const DevConfig list = parse_ok("protos: [a.proto, /abs/b.proto]\n");
  CHECK(list.protos == std::vector<std::string>{"/project/a.proto", "/abs/b.proto"});
  CHECK(list.proto_paths.empty());
  CHECK_THAT(parse_error("protos: {a: 1}\n"), Contains("protos: expected a list of .proto files"));
  CHECK_THAT(parse_error("protos: ['']\n"), Contains("protos[0]"));
  CHECK_THAT(parse_error("proto: a.proto\n"), Contains("unknown key (did you mean \"protos\"?)"));
}

}  // namespace
}  // namespace statefun::emulator
