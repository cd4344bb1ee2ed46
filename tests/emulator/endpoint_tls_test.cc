// TLS and Unix socket settings of the two files meeting: module.yaml's async
// transport fields read and applied (no "not applied" warning), statefun.yaml
// `tls:` overriding them, `classpath:` refused unless overridden, unreadable
// files named with their field, and `hosts` mapping a host to a socket file.
#include "emulator/config/endpoint_tls.h"

#include <catch2/catch.hpp>
#include <string>

#include "emulator/config/dev_config.h"
#include "emulator/config/function_routes.h"
#include "emulator/config/http_url.h"
#include "emulator/config/module_config.h"
#include "tests/test_tls_certs.h"

namespace statefun::emulator {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

ModuleConfig module_with_transport(const std::string& transport_lines,
                                   const std::string& url = "https://functions:8443/statefun") {
  const std::string yaml =
      "kind: io.statefun.endpoints.v2/http\nspec:\n  functions: example/*\n"
      "  urlPathTemplate: " +
      url + "\n  transport:\n    type: io.statefun.transports.v1/async\n" + transport_lines;
  auto module = parse_module_yaml(yaml, "/project/module.yaml");
  INFO((module ? std::string() : module.error().message));
  REQUIRE(module.has_value());
  return *module;
}

DevConfig dev_config(const std::string& yaml) {
  auto config = parse_dev_config(yaml, "/laptop/statefun.yaml", "/laptop");
  INFO((config ? std::string() : config.error().message));
  REQUIRE(config.has_value());
  return *config;
}

std::string dev_error(const std::string& yaml) {
  auto config = parse_dev_config(yaml, "statefun.yaml", "/laptop");
  REQUIRE_FALSE(config.has_value());
  return config.error().message;
}

}  // namespace

TEST_CASE("module.yaml: the async transport's TLS fields are read and applied, not warned about",
          "[emulator][tls]") {
  const ModuleConfig module = module_with_transport(
      "    trust_cacerts: file:certs/ca.pem\n    client_cert: /etc/tls/client.pem\n"
      "    client_key: /etc/tls/client.key\n    client_key_password: /etc/tls/password\n");
  for (const auto& warning : module.warnings) CHECK_THAT(warning, !Contains("not applied"));
  const HttpEndpointSpec& endpoint = module.endpoints.at(0);
  REQUIRE(endpoint.tls.trust_cacerts);
  CHECK(endpoint.tls.trust_cacerts->path == "file:certs/ca.pem");
  CHECK(endpoint.tls.trust_cacerts->where ==
        "/project/module.yaml:7:20: document 1 (io.statefun.endpoints.v2/http): "
        "spec.transport.trust_cacerts");

  auto tls = endpoint_tls(endpoint, module.path, DevTls{});
  REQUIRE(tls.has_value());
  // `file:` dropped, relative to module.yaml's folder.
  CHECK(tls->ca_file == "/project/certs/ca.pem");
  CHECK(tls->client_cert_file == "/etc/tls/client.pem");
  CHECK(tls->client_key_file == "/etc/tls/client.key");
  CHECK(tls->client_key_password_file == "/etc/tls/password");
  CHECK_FALSE(tls->insecure_skip_verify);
}

TEST_CASE("statefun.yaml tls: parsed with paths against its folder, and overriding module.yaml",
          "[emulator][tls]") {
  const DevConfig config = dev_config(
      "tls:\n  ca: dev/ca.pem\n  client_cert: dev/client.pem\n  client_key: dev/client.key\n"
      "  client_key_password_file: dev/password\n  insecure_skip_verify: true\n");
  REQUIRE(config.tls.ca);
  CHECK(config.tls.ca->path == "/laptop/dev/ca.pem");
  CHECK(config.tls.ca->where == "/laptop/statefun.yaml:2:7: tls.ca");
  CHECK(config.tls.insecure_skip_verify);

  const ModuleConfig module = module_with_transport(
      "    trust_cacerts: classpath:ca.pem\n    client_cert: /etc/tls/client.pem\n");
  auto tls = endpoint_tls(module.endpoints.at(0), module.path, config.tls);
  REQUIRE(tls.has_value());
  CHECK(tls->ca_file == "/laptop/dev/ca.pem");
  CHECK(tls->client_cert_file == "/laptop/dev/client.pem");
  CHECK(tls->client_key_file == "/laptop/dev/client.key");
  CHECK(tls->client_key_password_file == "/laptop/dev/password");
  CHECK(tls->insecure_skip_verify);
  CHECK_THAT(insecure_tls_warning(config.tls),
             StartsWith("/laptop/statefun.yaml:6:25: tls.insecure_skip_verify: INSECURE: the "
                        "certificates of https function endpoints are NOT verified"));
  CHECK(insecure_tls_warning(DevTls{}).empty());
}

TEST_CASE("statefun.yaml tls: unknown keys and wrong types are errors", "[emulator][tls]") {
  CHECK(dev_error("tls:\n  trust_cacerts: ca.pem\n") ==
        "statefun.yaml:2:3: tls.trust_cacerts: unknown key (did you mean \"ca\"?)");
  CHECK(dev_error("tls:\n  insecure_skip_verify: maybe\n") ==
        "statefun.yaml:2:25: tls.insecure_skip_verify: expected a boolean (true or false), got "
        "\"maybe\"");
  CHECK_THAT(dev_error("tls:\n  ca: \"\"\n"), Contains("tls.ca: expected a non-empty string"));
}

TEST_CASE("module.yaml classpath: resources are refused unless statefun.yaml overrides them",
          "[emulator][tls]") {
  const ModuleConfig module = module_with_transport("    trust_cacerts: classpath:certs/ca.pem\n");
  auto refused = endpoint_tls(module.endpoints.at(0), module.path, DevTls{});
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().message ==
        "/project/module.yaml:7:20: document 1 (io.statefun.endpoints.v2/http): "
        "spec.transport.trust_cacerts: \"classpath:certs/ca.pem\" is a resource on the Java "
        "class path, which statefun dev cannot read; give a file path, or set tls.ca in "
        "statefun.yaml");
  CHECK_FALSE(check_endpoint_tls(module, DevTls{}).has_value());
}

TEST_CASE("check_endpoint_tls: a file that does not read is named with its field",
          "[emulator][tls]") {
  const auto& certs = test::TlsCerts::get();
  SECTION("module.yaml's CA file") {
    const ModuleConfig module = module_with_transport("    trust_cacerts: /nonexistent/ca.pem\n");
    auto checked = check_endpoint_tls(module, DevTls{});
    REQUIRE_FALSE(checked.has_value());
    CHECK(checked.error().message ==
          "/project/module.yaml:7:20: document 1 (io.statefun.endpoints.v2/http): "
          "spec.transport.trust_cacerts: /nonexistent/ca.pem: cannot read the file (No such file "
          "or directory)");
  }
  SECTION("an http endpoint's TLS fields are not used, so not read") {
    const ModuleConfig module = module_with_transport("    trust_cacerts: /nonexistent/ca.pem\n",
                                                      "http://functions:8000/statefun");
    CHECK(check_endpoint_tls(module, DevTls{}).has_value());
  }
  SECTION("statefun.yaml's key, without the password its encryption needs") {
    const ModuleConfig module = module_with_transport("");
    const DevConfig config = dev_config("tls:\n  client_cert: " + certs.path("client.pem") +
                                        "\n  client_key: " + certs.path("client-enc.key") + "\n");
    auto checked = check_endpoint_tls(module, config.tls);
    REQUIRE_FALSE(checked.has_value());
    CHECK(checked.error().message ==
          "/laptop/statefun.yaml:3:15: tls.client_key: " + certs.path("client-enc.key") +
              ": the key is encrypted and no password file is given");
  }
  SECTION("statefun.yaml's CA, even before an https endpoint uses it") {
    const ModuleConfig module = module_with_transport("", "http://functions:8000/statefun");
    auto checked = check_endpoint_tls(module, dev_config("tls:\n  ca: missing.pem\n").tls);
    REQUIRE_FALSE(checked.has_value());
    CHECK_THAT(checked.error().message,
               StartsWith("/laptop/statefun.yaml:2:7: tls.ca: /laptop/missing.pem: cannot read"));
  }
  SECTION("good files pass, and the route carries them") {
    const ModuleConfig module = module_with_transport("    client_key: /container/client.key\n");
    const DevConfig config =
        dev_config("tls:\n  ca: " + certs.ca() + "\n  client_cert: " + certs.path("client.pem") +
                   "\n  client_key: " + certs.path("client-enc.key") +
                   "\n  client_key_password_file: " + certs.path("password.txt") + "\n");
    REQUIRE(check_endpoint_tls(module, config.tls).has_value());
    RouteTable table;
    table.module = std::make_shared<const ModuleConfig>(module);
    table.tls = config.tls;
    auto route = table.resolve(FunctionType{"example", "greeter"});
    REQUIRE(route.has_value());
    CHECK(route->call.tls.ca_file == certs.ca());
    CHECK(route->call.tls.client_key_file == certs.path("client-enc.key"));
    CHECK(route->call.tls.client_key_password_file == certs.path("password.txt"));
  }
}

TEST_CASE("hosts: a module.yaml host mapped to a Unix socket file", "[emulator][unix]") {
  const DevConfig config = dev_config("hosts:\n  functions: unix:run/functions.sock\n");
  CHECK(config.hosts.at("functions") == "unix:/laptop/run/functions.sock");
  CHECK(map_host("http://functions:8000/statefun/{function.name}", config.hosts) ==
        "http+unix:///laptop/run/functions.sock/statefun/{function.name}");
  CHECK(map_host("https://functions/x", config.hosts) ==
        "https+unix:///laptop/run/functions.sock/x");
  CHECK(map_host("http://functions:8000", config.hosts) ==
        "http+unix:///laptop/run/functions.sock");

  auto flag = parse_host_mapping("functions=unix:/tmp/f.sock");
  REQUIRE(flag.has_value());
  CHECK(flag->second == "unix:/tmp/f.sock");
  for (const char* bad : {"functions=unix:relative.sock", "functions=unix:/tmp/f.socket",
                          "functions=unix:/tmp/a b.sock", "functions=unix:"}) {
    INFO(bad);
    auto refused = parse_host_mapping(bad);
    REQUIRE_FALSE(refused.has_value());
    CHECK_THAT(refused.error().message, Contains("an absolute file path ending in .sock"));
  }
  CHECK_THAT(dev_error("hosts:\n  functions: unix:/tmp/f\n"), StartsWith("statefun.yaml:2:14: "));
}

}  // namespace statefun::emulator
