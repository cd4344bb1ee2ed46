// `statefun deploy compose`: a docker-compose project with the same parts as
// the Kubernetes manifests (see cli/deploy_render.h), plus a one-node Kafka
// broker when the module uses Kafka (cli/deploy_plan.h decides which).
#include <fmt/format.h>

#include <filesystem>

#include "cli/deploy_render.h"

namespace statefun::cli {
namespace {

// Build contexts are written relative to the compose file, which is in
// `project_dir`'s deploy/compose by default (project_dir ../..).
std::string context_for(const FunctionService& service, std::string_view out_to_project) {
  return (std::filesystem::path(out_to_project) / service.build_dir)
      .lexically_normal()
      .generic_string();
}

std::string function_service(const FunctionService& service, std::string_view out_to_project) {
  std::string env;
  for (const auto& [name, value] : service.env) {
    env += fmt::format("      {}: {}\n", yaml_quote(name), yaml_quote(value));
  }
  return fmt::format(
      "  # statefun.yaml's process `{}`, built from {}/Dockerfile{}.\n"
      "  {}:\n"
      "    build: {}\n"
      "    image: {}\n"
      "    environment:\n{}"
      "    expose:\n"
      "      - \"{}\"\n",
      service.process, service.build_dir,
      service.has_dockerfile ? "" : " (CHANGE-ME: missing, write one)", service.name,
      yaml_quote(context_for(service, out_to_project)), yaml_quote(service.image), env,
      service.port);
}

std::string runtime_service(const DeployPlan& plan, std::string_view name, std::string_view role,
                            std::string_view ports) {
  std::string depends =
      "    depends_on:\n      checkpoints-owner:\n"
      "        condition: service_completed_successfully\n";
  for (const auto& service : plan.functions) {
    depends += fmt::format("      {}:\n        condition: service_started\n", service.name);
  }
  if (!plan.kafka_broker_host.empty()) {
    depends +=
        fmt::format("      {}:\n        condition: service_started\n", plan.kafka_broker_host);
  }
  return fmt::format(
      "  {}:\n"
      "    image: {}\n"
      "    environment:\n"
      "      ROLE: {}\n"
      "      MASTER_HOST: {}\n"
      "{}"
      "    volumes:\n"
      "      - ./flink-conf:/opt/flink/conf\n"
      "      - ./module.yaml:{}/module.yaml:ro\n"
      "      - checkpoints:/checkpoints\n"
      "{}",
      name, yaml_quote(kStatefunImage), role, kMasterName, ports, module_mount_dir(plan), depends);
}

// apache/kafka in KRaft mode, one node: containers reach it under its
// service name, this machine on localhost:29092.
std::string kafka_service(const DeployPlan& plan) {
  std::string topics;
  for (const auto& topic : plan.kafka_topics) topics += (topics.empty() ? "" : ", ") + topic;
  const std::string& host = plan.kafka_broker_host;
  return fmt::format(
      "  # One Kafka broker for the module's Kafka ingress and egress (topics: {};\n"
      "  # created when first used). From this machine: localhost:29092.\n"
      "  {}:\n"
      "    image: \"apache/kafka:3.7.0\"\n"
      "    ports:\n"
      "      - \"29092:29092\"\n"
      "    environment:\n"
      "      KAFKA_NODE_ID: \"1\"\n"
      "      KAFKA_PROCESS_ROLES: \"broker,controller\"\n"
      "      KAFKA_LISTENERS: \"INTERNAL://:{},EXTERNAL://:29092,CONTROLLER://:9093\"\n"
      "      KAFKA_ADVERTISED_LISTENERS: \"INTERNAL://{}:{},EXTERNAL://localhost:29092\"\n"
      "      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: "
      "\"INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT\"\n"
      "      KAFKA_INTER_BROKER_LISTENER_NAME: \"INTERNAL\"\n"
      "      KAFKA_CONTROLLER_LISTENER_NAMES: \"CONTROLLER\"\n"
      "      KAFKA_CONTROLLER_QUORUM_VOTERS: \"1@{}:9093\"\n"
      "      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: \"1\"\n"
      "      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: \"1\"\n"
      "      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: \"1\"\n"
      "      KAFKA_AUTO_CREATE_TOPICS_ENABLE: \"true\"\n",
      topics.empty() ? "none named" : topics, host, plan.kafka_broker_port, host,
      plan.kafka_broker_port, host);
}

std::string compose_file(const DeployPlan& plan, std::string_view project_dir) {
  std::string out =
      "# The StateFun runtime (apache/flink-statefun:3.3.0) and the project's functions,\n"
      "# written by statefun deploy compose. Run from this folder:\n"
      "#   docker compose up --build\n"
      "# Flink's web UI: http://localhost:8081\n"
      "services:\n";
  for (const auto& service : plan.functions) out += function_service(service, project_dir);
  out +=
      "  # Checkpoints go to a volume the master and workers share (Flink runs as uid\n"
      "  # 9999, so it must own it). For production, point state.checkpoints.dir in\n"
      "  # flink-conf/flink-conf.yaml at an object store.\n"
      "  checkpoints-owner:\n"
      "    image: \"busybox:1.36\"\n"
      "    command: [\"chown\", \"-R\", \"9999:9999\", \"/checkpoints\"]\n"
      "    volumes:\n"
      "      - checkpoints:/checkpoints\n";
  out += runtime_service(plan, kMasterName, "master",
                         "    ports:\n      - \"8081:8081\"\n    expose:\n      - \"6123\"\n"
                         "      - \"6124\"\n");
  out += runtime_service(plan, kWorkerName, "worker", "    expose:\n      - \"6122\"\n");
  if (!plan.kafka_broker_host.empty()) out += kafka_service(plan);
  out += "volumes:\n  checkpoints: {}\n";
  return out;
}

}  // namespace

std::vector<DeployFile> render_compose(const DeployPlan& plan, std::string_view project_dir) {
  return {
      {"docker-compose.yml", compose_file(plan, project_dir)},
      {"module.yaml", plan.module_yaml},
      {"flink-conf/flink-conf.yaml", flink_conf_yaml(plan)},
      {"flink-conf/log4j-console.properties", log4j_console_properties()},
  };
}

}  // namespace statefun::cli
