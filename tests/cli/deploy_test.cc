// `statefun deploy`: the plan, the cluster's module.yaml and the rendered
// Kubernetes and compose files are checked structurally: every document
// names itself, Services select their Deployments and reach their ports, the
// module parses with our own module.yaml parser and its endpoints name the
// function services; and the command's refusals. tests/e2e/test_deploy.py
// runs the binary on every language's project and checks the manifests
// against the Kubernetes API schemas.
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.h"
#include "cli/deploy_module.h"
#include "cli/deploy_plan.h"
#include "cli/deploy_render.h"
#include "emulator/config/module_config.h"
#include "runtime/core/url.h"
#include "templates/catalog.h"
#include "templates/render.h"

using namespace statefun;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "statefun-deploy-test-XXXXXX").string();
    path = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path path;
};

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
}

// A project as `statefun init` writes it.
fs::path init_project(const fs::path& parent, const std::string& language,
                      const std::string& template_name, const std::string& name = "my-app") {
  const fs::path dir = parent / name;
  auto files = templates::render_project({language, template_name, "example", name});
  REQUIRE(files);
  REQUIRE(templates::write_project(dir, *files));
  return dir;
}

cli::DeployPlan plan_for(const fs::path& dir, cli::DeployTarget target,
                         const cli::DeployOptions& options = {}) {
  auto project = cli::read_project(dir);
  REQUIRE(project);
  auto plan = cli::plan_deployment(*project, target, options);
  REQUIRE(plan);
  return *plan;
}

std::vector<YAML::Node> documents_of(const std::vector<cli::DeployFile>& files) {
  std::vector<YAML::Node> out;
  for (const auto& file : files) {
    CAPTURE(file.path);
    for (const auto& node : YAML::LoadAll(file.content)) {
      if (!node.IsNull()) out.push_back(node);
    }
  }
  return out;
}

std::map<std::string, std::string> string_map(const YAML::Node& node) {
  std::map<std::string, std::string> out;
  for (const auto& entry : node)
    out[entry.first.as<std::string>()] = entry.second.as<std::string>();
  return out;
}

emulator::ModuleConfig parse_module(const std::string& text) {
  auto module = emulator::parse_module_yaml(text, "cluster module.yaml");
  INFO(text);
  REQUIRE(module);
  return *module;
}

struct Run {
  int code = 0;
  std::string out;
};

Run run(std::vector<std::string> args) {
  args.insert(args.begin(), "statefun");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::ostringstream out;
  auto* old_out = std::cout.rdbuf(out.rdbuf());
  Run result;
  result.code = cli::run(static_cast<int>(argv.size()), argv.data());
  std::cout.rdbuf(old_out);
  result.out = out.str();
  return result;
}

}  // namespace

TEST_CASE("deploy: names become DNS labels", "[cli][deploy]") {
  CHECK(cli::dns_label("My_App", "x") == "my-app");
  CHECK(cli::dns_label("9lives.io", "x") == "lives-io");
  CHECK(cli::dns_label("---", "fallback") == "fallback");
  CHECK(cli::dns_label(std::string(80, 'a'), "x").size() == 63);
}

TEST_CASE("deploy k8s: every document is complete and Services reach their Deployments",
          "[cli][deploy]") {
  TempDir tmp;
  const auto dir = init_project(tmp.path, "js", "greeter");
  const auto plan = plan_for(dir, cli::DeployTarget::kKubernetes);
  const auto files = cli::render_k8s(plan);
  const auto documents = documents_of(files);

  std::map<std::string, YAML::Node> deployments, services, config_maps;
  for (const auto& doc : documents) {
    REQUIRE(doc["apiVersion"]);
    REQUIRE(doc["kind"]);
    REQUIRE(doc["metadata"]["name"]);
    const auto kind = doc["kind"].as<std::string>();
    const auto name = doc["metadata"]["name"].as<std::string>();
    CHECK(cli::dns_label(name, "") == name);
    if (kind == "Deployment") deployments[name] = doc;
    if (kind == "Service") services[name] = doc;
    if (kind == "ConfigMap") config_maps[name] = doc;
  }
  CHECK(deployments.size() == 3);  // functions, master, worker
  CHECK(services.size() == 3);
  REQUIRE(config_maps.size() == 1);
  REQUIRE(services.contains("functions"));
  REQUIRE(services.contains("statefun-master"));

  for (const auto& [name, service] : services) {
    CAPTURE(name);
    const auto selector = string_map(service["spec"]["selector"]);
    int matches = 0;
    for (const auto& [deployment_name, deployment] : deployments) {
      const auto labels = string_map(deployment["spec"]["template"]["metadata"]["labels"]);
      CHECK(string_map(deployment["spec"]["selector"]["matchLabels"]) == labels);
      if (labels != selector) continue;
      ++matches;
      std::set<int> container_ports;
      for (const auto& port : deployment["spec"]["template"]["spec"]["containers"][0]["ports"]) {
        container_ports.insert(port["containerPort"].as<int>());
      }
      for (const auto& port : service["spec"]["ports"]) {
        CHECK(container_ports.contains(port["targetPort"].as<int>()));
      }
    }
    CHECK(matches == 1);
  }

  // The master and workers run the official image with the module where it reads it.
  for (const auto* role : {"statefun-master", "statefun-worker"}) {
    CAPTURE(role);
    const auto spec = deployments[role]["spec"]["template"]["spec"];
    CHECK(spec["containers"][0]["image"].as<std::string>() == "apache/flink-statefun:3.3.0");
    std::set<std::string> mounts;
    for (const auto& mount : spec["containers"][0]["volumeMounts"]) {
      mounts.insert(mount["mountPath"].as<std::string>());
    }
    CHECK(mounts.contains("/opt/statefun/modules/my-app"));
    CHECK(mounts.contains("/opt/flink/conf"));
    for (const auto& volume : spec["volumes"]) {
      CHECK(config_maps.contains(volume["configMap"]["name"].as<std::string>()));
    }
  }
  const auto functions = deployments["functions"]["spec"]["template"]["spec"]["containers"][0];
  CHECK(functions["image"].as<std::string>() ==
        "registry.example.com/change-me/my-app-functions:latest");

  // The ConfigMap: a module our parser accepts, reaching the Service; Kafka
  // in place of the playground; checkpoints to an object store with RocksDB.
  const auto data = config_maps.begin()->second["data"];
  const auto module = parse_module(data["module.yaml"].as<std::string>());
  CHECK_FALSE(module.playground_ingress);
  CHECK_FALSE(module.playground_egress);
  REQUIRE(module.endpoints.size() == 1);
  auto url = parse_url(module.endpoints[0].url_path_template);
  REQUIRE(url);
  REQUIRE(services.contains(url->host));
  CHECK(services[url->host]["spec"]["ports"][0]["port"].as<int>() == url->port);
  REQUIRE(module.kafka_ingresses.size() == 1);
  REQUIRE(module.kafka_egresses.size() == 1);
  CHECK(module.kafka_egresses[0].id == "io.statefun.playground/egress");
  const auto& routes = module.kafka_ingresses[0].routes;
  REQUIRE(routes.size() == 1);  // from the greeter's scenario
  CHECK(routes[0].source == "person");
  CHECK(routes[0].value_type == "example/GreetRequest");
  CHECK(routes[0].targets == std::vector<std::string>{"example/person"});
  CHECK(module.kafka_ingresses[0].kafka->address.starts_with("CHANGE-ME"));
  const auto conf = YAML::Load(data["flink-conf.yaml"].as<std::string>());
  CHECK(conf["state.backend"].as<std::string>() == "rocksdb");
  CHECK(conf["state.checkpoints.dir"].as<std::string>().starts_with("s3://CHANGE-ME"));
  CHECK(conf["jobmanager.rpc.address"].as<std::string>() == "statefun-master");
  CHECK(data["module.yaml"].as<std::string>().find("replaces the playground ingress") !=
        std::string::npos);
}

TEST_CASE("deploy compose: services, build context, broker and module", "[cli][deploy]") {
  TempDir tmp;
  const auto dir = init_project(tmp.path, "python", "shopping-cart");
  const auto plan = plan_for(dir, cli::DeployTarget::kCompose);
  const auto files = cli::render_compose(plan, "../..");
  REQUIRE(files.size() == 4);
  const auto compose = YAML::Load(files[0].content);
  const auto services = compose["services"];
  for (const auto* name : {"functions", "statefun-master", "statefun-worker", "kafka"}) {
    CAPTURE(name);
    CHECK(services[name].IsMap());
  }
  CHECK(services["functions"]["build"].as<std::string>() == "../..");
  CHECK(services["functions"]["environment"]["HOST"].as<std::string>() == "0.0.0.0");
  CHECK(services["statefun-master"]["environment"]["ROLE"].as<std::string>() == "master");
  bool module_mounted = false;
  for (const auto& volume : services["statefun-worker"]["volumes"]) {
    module_mounted |=
        volume.as<std::string>() == "./module.yaml:/opt/statefun/modules/my-app/module.yaml:ro";
  }
  CHECK(module_mounted);
  CHECK(files[1].path == "module.yaml");
  const auto module = parse_module(files[1].content);
  REQUIRE(module.kafka_ingresses.size() == 1);
  CHECK(module.kafka_ingresses[0].kafka->address == "kafka:9092");
  auto url = parse_url(module.endpoints.at(0).url_path_template);
  REQUIRE(url);
  CHECK(services[url->host].IsMap());
}

TEST_CASE("deploy: localhost URLs reach the process's service; Kafka kinds stay as they are",
          "[cli][deploy]") {
  TempDir tmp;
  const auto dir = tmp.path / "shop";
  write(dir / "module.yaml",
        "kind: io.statefun.endpoints.v2/http\n"
        "spec:\n"
        "  functions: shop/*\n"
        "  urlPathTemplate: http://localhost:9000/fn/{function.name}\n"
        "---\n"
        "kind: io.statefun.kafka.v1/ingress\n"
        "spec:\n"
        "  id: shop/in\n"
        "  address: broker.example.com:9092\n"
        "  consumerGroupId: shop\n"
        "  topics:\n"
        "    - topic: orders\n"
        "      valueType: shop/Order\n"
        "      targets: [shop/cart]\n");
  write(dir / "statefun.yaml",
        "processes:\n"
        "  - name: Shop_API\n"
        "    command: ./serve\n"
        "    port: 9000\n"
        "  - name: helper\n"
        "    command: ./helper\n"
        "    port: 9100\n");
  const auto plan = plan_for(dir, cli::DeployTarget::kCompose);
  REQUIRE(plan.functions.size() == 1);
  CHECK(plan.functions[0].name == "shop-api");
  CHECK_FALSE(plan.functions[0].has_dockerfile);
  CHECK(plan.kafka_broker_host.empty());  // a real broker elsewhere: none in compose
  CHECK(plan.uses_kafka);
  const auto module = parse_module(plan.module_yaml);
  CHECK(module.endpoints.at(0).url_path_template == "http://shop-api:9000/fn/{function.name}");
  REQUIRE(module.kafka_ingresses.size() == 1);
  CHECK(module.kafka_ingresses[0].kafka->address == "broker.example.com:9092");
  const auto notes = [&] {
    std::string all;
    for (const auto& note : plan.notes) all += note + "\n";
    return all;
  }();
  CHECK(notes.find("helper serves no endpoint") != std::string::npos);
  CHECK(notes.find("Dockerfile is missing") != std::string::npos);
  CHECK(cli::render_compose(plan, "../..")[0].content.find("kafka:") == std::string::npos);
}

TEST_CASE("deploy: a legacy module.yaml is refused", "[cli][deploy]") {
  TempDir tmp;
  write(tmp.path / "module.yaml",
        "version: \"3.0\"\n"
        "module:\n"
        "  meta:\n"
        "    type: remote\n"
        "  spec:\n"
        "    endpoints:\n"
        "      - endpoint:\n"
        "          meta:\n"
        "            kind: http\n"
        "          spec:\n"
        "            functions: a/*\n"
        "            urlPathTemplate: http://f:1/\n");
  auto project = cli::read_project(tmp.path);
  REQUIRE(project);
  auto plan = cli::plan_deployment(*project, cli::DeployTarget::kKubernetes, {});
  REQUIRE_FALSE(plan);
  CHECK(plan.error().message.find("legacy") != std::string::npos);
}

TEST_CASE("every language's project has a Dockerfile serving on all interfaces",
          "[cli][deploy][templates]") {
  for (const auto& language : templates::languages()) {
    CAPTURE(language.id);
    auto files = templates::render_project({std::string(language.id), "greeter", "example", "app"});
    REQUIRE(files);
    const templates::ProjectFile* dockerfile = nullptr;
    bool dockerignore = false;
    for (const auto& file : *files) {
      if (file.path == "Dockerfile") dockerfile = &file;
      dockerignore |= file.path == ".dockerignore";
    }
    REQUIRE(dockerfile);
    CHECK(dockerignore);
    CHECK(dockerfile->content.find("HOST=0.0.0.0") != std::string::npos);
    CHECK(dockerfile->content.find("PORT=8000") != std::string::npos);
  }
}

TEST_CASE("deploy: the command writes, keeps and refuses", "[cli][deploy]") {
  TempDir tmp;
  const auto dir = init_project(tmp.path, "go", "empty");
  const auto out = (tmp.path / "k8s").string();
  auto first = run({"deploy", "k8s", "--project", dir.string(), "--out", out, "--image-prefix",
                    "ghcr.io/me", "--kafka-address", "kafka.infra:9092"});
  REQUIRE(first.code == 0);
  CHECK(first.out.find("ghcr.io/me/my-app-functions:latest") != std::string::npos);
  CHECK(first.out.find("kubectl apply -f") != std::string::npos);
  CHECK(fs::exists(fs::path(out) / "03-statefun.yaml"));
  // Again: the same files, nothing to refuse.
  auto again = run({"deploy", "k8s", "--project", dir.string(), "--out", out, "--image-prefix",
                    "ghcr.io/me", "--kafka-address", "kafka.infra:9092"});
  CHECK(again.code == 0);
  CHECK(again.out.find("unchanged") != std::string::npos);
  // Different content: refused without --force.
  CHECK(run({"deploy", "k8s", "--project", dir.string(), "--out", out}).code == 1);
  CHECK(run({"deploy", "k8s", "--project", dir.string(), "--out", out, "--force"}).code == 0);
  CHECK(run({"deploy", "swarm", "--project", dir.string()}).code == 2);
  // Never into the project's own folder, whose module.yaml compose would replace.
  const auto module_text = [&] {
    std::ifstream in(dir / "module.yaml", std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const auto before = module_text();
  CHECK(run({"deploy", "compose", "--project", dir.string(), "--out", dir.string(), "--force"})
            .code == 2);
  CHECK(module_text() == before);
  CHECK(run({"deploy", "compose", "--project", (tmp.path / "nothing").string()}).code == 3);
}

TEST_CASE("deploy compose: the Kafka sample gets a broker under the host name it uses",
          "[cli][deploy]") {
  const auto plan = plan_for(fs::path(STATEFUN_SOURCE_DIR) / "samples" / "greeter-kafka",
                             cli::DeployTarget::kCompose);
  CHECK(plan.kafka_broker_host == "kafka-broker");
  CHECK(plan.kafka_broker_port == 9092);
  const auto compose = YAML::Load(cli::render_compose(plan, "../..")[0].content);
  REQUIRE(compose["services"]["kafka-broker"].IsMap());
  CHECK(compose["services"]["kafka-broker"]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
            .as<std::string>()
            .starts_with("INTERNAL://kafka-broker:9092,"));
  CHECK_FALSE(compose["services"]["kafka"]);
  // Its Kafka kinds are kept as they are.
  const auto module = parse_module(plan.module_yaml);
  CHECK(module.kafka_ingresses.size() == 1);
  CHECK(module.kafka_ingresses[0].kafka->address == "kafka-broker:9092");
  // k8s runs no broker: the module's address is the cluster's to provide.
  CHECK(plan_for(fs::path(STATEFUN_SOURCE_DIR) / "samples" / "greeter-kafka",
                 cli::DeployTarget::kKubernetes)
            .kafka_broker_host.empty());
}
