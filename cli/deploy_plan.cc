#include "cli/deploy_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include "cli/deploy_module.h"
#include "emulator/config/http_url.h"
#include "runtime/core/url.h"

namespace statefun::cli {
namespace {
namespace fs = std::filesystem;

Result<std::string> read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return make_error(ErrorCode::kIo, file.string() + ": cannot read");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A Kafka topic name: letters, digits, '.', '_' and '-'.
std::string topic_name(std::string_view text) {
  std::string out;
  for (char c : text) {
    out +=
        std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ? c : '-';
  }
  return out.empty() ? "topic" : out;
}

std::string after_slash(std::string_view type) {
  const auto slash = type.rfind('/');
  return std::string(slash == std::string_view::npos ? type : type.substr(slash + 1));
}

// The playground ingress takes a message for any function; a Kafka ingress
// only reads the topics it names. The scenarios' sends say which function
// types get which message types from outside, so each pair gets a topic.
std::vector<KafkaIngressRoute> ingress_routes(const ProjectInput& project) {
  std::vector<std::pair<std::string, std::string>> pairs;  // target, type; first seen first
  for (const auto& scenario : project.scenarios) {
    for (const auto& step : scenario.steps) {
      if (step.kind != emulator::ScenarioStep::Kind::kSend || step.type_name.empty()) continue;
      const auto last = step.address.rfind('/');
      if (last == std::string::npos || last == 0) continue;
      std::pair<std::string, std::string> pair{step.address.substr(0, last), step.type_name};
      if (std::ranges::find(pairs, pair) == pairs.end()) pairs.push_back(pair);
    }
  }
  std::vector<KafkaIngressRoute> routes;
  std::set<std::string> topics;
  for (const auto& [target, type] : pairs) {
    const auto types_for_target = std::ranges::count_if(
        pairs, [&target = target](const auto& other) { return other.first == target; });
    std::string topic = topic_name(after_slash(target));
    if (types_for_target > 1) topic += "-" + topic_name(after_slash(type));
    if (topics.contains(topic)) topic = topic_name(target + "-" + type);
    topics.insert(topic);
    routes.push_back({topic, type, {target}});
  }
  if (routes.empty()) {
    const std::string ns = project.module.endpoints.empty()
                               ? std::string("CHANGE-ME")
                               : project.module.endpoints.front().function_namespace;
    routes.push_back({"CHANGE-ME-topic", ns + "/CHANGE-ME-type", {ns + "/CHANGE-ME-function"}});
  }
  return routes;
}

// "host" or "host:port" (a statefun.yaml hosts target) with `port` as the
// default port.
std::pair<std::string, int> split_target(const std::string& target, int port) {
  // The URL grammar reads host, port and IPv6 brackets the same way here.
  auto url = parse_url("http://" + target);
  if (!url) return {target, port};
  return {url->host, url->explicit_port ? url->port : port};
}

// The process that serves `url` under statefun dev, or nullptr: the URL's
// host (after statefun.yaml's hosts map) is this machine and its port is
// the process's.
const emulator::ProcessSpec* serving_process(const Url& url, const emulator::DevConfig& dev) {
  std::string host = url.host;
  int port = url.port;
  if (auto mapped = dev.hosts.find(url.host); mapped != dev.hosts.end()) {
    if (mapped->second.starts_with(emulator::kUnixTarget)) return nullptr;
    std::tie(host, port) = split_target(mapped->second, port);
  }
  if (!emulator::is_local_host(host)) return nullptr;
  for (const auto& process : dev.processes) {
    if (process.port == port) return &process;
  }
  return nullptr;
}

}  // namespace

std::string dns_label(std::string_view text, std::string_view fallback) {
  std::string out;
  for (char c : text) {
    const auto lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const bool ok = (lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9');
    if (ok) {
      out += lower;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && !(out.front() >= 'a' && out.front() <= 'z')) out.erase(0, 1);
  if (out.size() > 63) out.resize(63);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? std::string(fallback) : out;
}

Result<ProjectInput> read_project(const fs::path& root_arg) {
  std::error_code ec;
  const fs::path root = fs::absolute(root_arg, ec).lexically_normal();
  const fs::path module_path = root / "module.yaml";
  if (!fs::is_regular_file(module_path, ec)) {
    return make_error(ErrorCode::kNotFound,
                      fmt::format("no module.yaml in {}: run statefun deploy inside a project "
                                  "(statefun init makes one)",
                                  root.string()));
  }
  ProjectInput project;
  project.root = root;
  const std::string folder =
      root.filename().empty() ? root.parent_path().filename().string() : root.filename().string();
  project.name = dns_label(folder, "statefun-app");
  auto text = read_text(module_path);
  if (!text) return std::unexpected(text.error());
  project.module_text = std::move(*text);
  auto module = emulator::parse_module_yaml(project.module_text, "module.yaml");
  if (!module) return std::unexpected(module.error());
  project.module = std::move(*module);

  const std::string dev_path = emulator::dev_config_path_for(module_path.string());
  if (fs::exists(dev_path, ec)) {
    auto dev = emulator::load_dev_config(dev_path);
    if (!dev) return std::unexpected(dev.error());
    project.dev = std::move(*dev);
  }
  // Scenarios only inform the Kafka ingress's topics: one that does not
  // parse is `statefun test`'s to report, not a reason to refuse a deployment.
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(root / "scenarios", ec)) {
    const auto ext = entry.path().extension();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(entry.path());
  }
  std::ranges::sort(files);
  for (const auto& file : files) {
    if (auto scenarios = emulator::load_scenario_file(file.string())) {
      for (auto& scenario : *scenarios) project.scenarios.push_back(std::move(scenario));
    }
  }
  return project;
}

Result<DeployPlan> plan_deployment(const ProjectInput& project, DeployTarget target,
                                   const DeployOptions& options) {
  const auto& module = project.module;
  if (module.legacy_format) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "module.yaml uses the legacy `version: 3.0` format: statefun deploy "
                      "writes the multi-document format only (docs/module-yaml.md)");
  }
  if (module.endpoints.empty()) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "module.yaml has no io.statefun.endpoints.v2/http endpoint: there are no "
                      "functions to deploy");
  }
  const bool k8s = target == DeployTarget::kKubernetes;
  DeployPlan plan;
  plan.target = target;
  plan.project = project.name;

  // Endpoints that reach a statefun.yaml process now reach its service.
  ClusterModuleEdits edits;
  edits.generated_by = k8s ? "statefun deploy k8s" : "statefun deploy compose";
  std::vector<const emulator::ProcessSpec*> used;
  const emulator::DevConfig no_dev;
  const auto& dev = project.dev ? *project.dev : no_dev;
  if (!project.dev) {
    plan.notes.push_back(
        "no statefun.yaml: no function service is written; endpoint URLs are kept as they are");
  }
  for (const auto& endpoint : module.endpoints) {
    auto url = parse_url(endpoint.url_path_template);
    const auto* process = url ? serving_process(*url, dev) : nullptr;
    if (!process || !process->port) {
      if (project.dev) {
        plan.notes.push_back(fmt::format(
            "endpoint {} ({}) is served by none of statefun.yaml's processes: kept as it is, "
            "so the cluster must be able to reach that URL",
            endpoint.functions, endpoint.url_path_template));
      }
      continue;
    }
    const std::string name = dns_label(process->name, "functions");
    edits.endpoint_urls[endpoint.document] =
        fmt::format("{}://{}:{}{}", url->scheme, name, *process->port, url->target);
    if (std::ranges::find(used, process) == used.end()) used.push_back(process);
  }
  for (const auto& process : dev.processes) {
    if (std::ranges::find(used, &process) == used.end()) {
      plan.notes.push_back(
          fmt::format("process {} serves no endpoint of module.yaml: not deployed", process.name));
    }
  }
  // In statefun.yaml order, so the files do not change with the module's order.
  for (const auto& process : dev.processes) {
    if (std::ranges::find(used, &process) == used.end()) continue;
    FunctionService service;
    service.process = process.name;
    service.name = dns_label(process.name, "functions");
    service.port = *process.port;
    std::error_code ec;
    auto relative = fs::relative(process.working_dir, project.root, ec).generic_string();
    service.build_dir = relative.empty() ? "." : relative;
    service.has_dockerfile = fs::is_regular_file(fs::path(process.working_dir) / "Dockerfile", ec);
    const std::string repository = project.name + "-" + service.name;
    service.image =
        options.image_prefix.empty()
            ? fmt::format("{}:{}", repository, options.image_tag)
            : fmt::format("{}/{}:{}", options.image_prefix, repository, options.image_tag);
    service.env = process.env;
    service.env["HOST"] = "0.0.0.0";
    service.env["PORT"] = std::to_string(service.port);
    if (!service.has_dockerfile) {
      plan.notes.push_back(fmt::format(
          "{}/Dockerfile is missing: write one that serves the functions on $PORT (templates "
          "of statefun init have one)",
          service.build_dir));
    }
    plan.functions.push_back(std::move(service));
  }

  // Kafka in place of the playground's HTTP ingress and egress. A compose
  // project runs its own broker: under the cluster host name the module's
  // Kafka kinds already use (the Kafka sample's kafka-broker), else `kafka`.
  const bool replaced = module.playground_ingress || module.playground_egress;
  if (!k8s && !options.kafka_address) {
    for (const auto* list : {&module.kafka_ingresses, &module.kafka_egresses}) {
      for (const auto& io : *list) {
        for (const auto& route : io.routes) plan.kafka_topics.push_back(route.source);
        if (!io.kafka || io.kafka->address.empty() || !plan.kafka_broker_host.empty()) continue;
        const auto [host, port] = split_target(io.kafka->address, 9092);
        if (emulator::is_cluster_host_name(host) && !emulator::is_local_host(host)) {
          plan.kafka_broker_host = host;
          plan.kafka_broker_port = port;
        }
      }
    }
    if (plan.kafka_broker_host.empty() && replaced) plan.kafka_broker_host = "kafka";
    if (plan.kafka_broker_host.empty()) plan.kafka_topics.clear();
  }
  const std::string own_broker =
      plan.kafka_broker_host.empty()
          ? ""
          : fmt::format("{}:{}", plan.kafka_broker_host, plan.kafka_broker_port);
  edits.kafka_address = options.kafka_address.value_or(
      k8s ? "CHANGE-ME-kafka-broker:9092" : (own_broker.empty() ? "kafka:9092" : own_broker));
  edits.consumer_group = project.name;
  if (module.playground_ingress) {
    edits.ingress_routes = ingress_routes(project);
    std::string topics;
    for (const auto& route : edits.ingress_routes) {
      topics += (topics.empty() ? "" : ", ") + route.topic + " -> " + route.targets.front();
      plan.kafka_topics.push_back(route.topic);
    }
    plan.notes.push_back(fmt::format(
        "the playground ingress is not in Apache Flink StateFun: replaced by a Kafka ingress "
        "({}) on {}",
        topics, edits.kafka_address));
  }
  if (module.playground_egress) {
    for (const auto& topic : module.playground_egress->topics) plan.kafka_topics.push_back(topic);
    plan.notes.push_back(fmt::format(
        "the playground egress is not in Apache Flink StateFun: replaced by a Kafka egress "
        "with the same id ({}) on {}; functions must send Kafka egress messages to it",
        kReplacedEgressId, edits.kafka_address));
  }
  plan.uses_kafka = replaced || !module.kafka_ingresses.empty() || !module.kafka_egresses.empty();
  for (const auto* list : {&module.kafka_ingresses, &module.kafka_egresses}) {
    for (const auto& io : *list) {
      if (!io.kafka || io.kafka->address.empty()) continue;
      const auto [host, port] = split_target(io.kafka->address, 9092);
      if (emulator::is_local_host(host)) {
        plan.notes.push_back(fmt::format(
            "{} {} uses the broker {}, which in the cluster is the container itself: set its "
            "address in module.yaml",
            io.kind, io.id, io.kafka->address));
      }
    }
  }
  if (!module.kinesis_ingresses.empty() || !module.kinesis_egresses.empty()) {
    plan.notes.push_back(
        "the Kinesis ingresses/egresses are kept as they are: give the cluster AWS credentials");
  }
  if (k8s && replaced && !options.kafka_address) {
    plan.notes.push_back("CHANGE-ME: the Kafka broker address (or run again with --kafka-address)");
  }

  if (options.checkpoint_dir) {
    plan.checkpoint_dir = *options.checkpoint_dir;
  } else if (k8s) {
    plan.checkpoint_dir = "s3://CHANGE-ME-bucket/" + project.name + "/checkpoints";
    plan.checkpoint_placeholder = true;
    plan.notes.push_back(
        "CHANGE-ME: the checkpoint bucket and S3 settings in flink-conf.yaml (or run again with "
        "--checkpoint-dir)");
  } else {
    plan.checkpoint_dir = "file:///checkpoints";
  }

  auto yaml = cluster_module_yaml(project.module_text, module, edits);
  if (!yaml) return std::unexpected(yaml.error());
  plan.module_yaml = std::move(*yaml);
  return plan;
}

}  // namespace statefun::cli
