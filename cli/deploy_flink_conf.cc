// flink-conf.yaml and log4j-console.properties for both targets, and the
// YAML text helpers the renderers share.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/deploy_render.h"

namespace statefun::cli {

std::string yaml_quote(std::string_view text) {
  // A JSON string is a valid double-quoted YAML scalar.
  return nlohmann::json(std::string(text)).dump();
}

std::string yaml_block(std::string_view text, int indent) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = std::min(text.find('\n', start), text.size());
    const auto line = text.substr(start, end - start);
    out += line.empty() ? "\n" : pad + std::string(line) + "\n";
    start = end + 1;
  }
  return out;
}

std::string module_mount_dir(const DeployPlan& plan) {
  return "/opt/statefun/modules/" + plan.project;
}

std::string flink_conf_yaml(const DeployPlan& plan) {
  std::string out = fmt::format(
      "# Flink's configuration for the StateFun master and workers, written by\n"
      "# statefun deploy. The keys are Flink 1.16's (the apache/flink-statefun:3.3.0 image).\n"
      "jobmanager.rpc.address: {}\n"
      "jobmanager.rpc.port: 6123\n"
      "blob.server.port: 6124\n"
      "taskmanager.rpc.port: 6122\n"
      "taskmanager.numberOfTaskSlots: 1\n"
      "parallelism.default: 1\n"
      "jobmanager.memory.process.size: 1g\n"
      "taskmanager.memory.process.size: 1g\n"
      "# StateFun's own classes and its Kafka and protobuf must come from the image.\n"
      "classloader.parent-first-patterns.additional: "
      "org.apache.flink.statefun;org.apache.kafka;com.google.protobuf\n"
      "\n"
      "# Function state lives in RocksDB and is checkpointed to durable storage, so a\n"
      "# restarted job resumes where the last checkpoint left it.\n"
      "state.backend: rocksdb\n"
      "state.backend.rocksdb.timer-service.factory: ROCKSDB\n"
      "state.backend.incremental: true\n"
      "execution.checkpointing.interval: 10s\n"
      "execution.checkpointing.mode: EXACTLY_ONCE\n",
      kMasterName);
  if (plan.checkpoint_placeholder) {
    out += "# CHANGE-ME: a bucket the master and workers can write to.\n";
  }
  out += fmt::format("state.checkpoints.dir: {}\n", plan.checkpoint_dir);
  if (plan.checkpoint_dir.starts_with("s3://")) {
    out +=
        "# S3 credentials and, for an S3-compatible store such as MinIO, its endpoint.\n"
        "# Prefer the pods' own identity (IAM roles) to keys written here.\n"
        "# s3.access-key: CHANGE-ME\n"
        "# s3.secret-key: CHANGE-ME\n"
        "# s3.endpoint: http://minio:9000\n"
        "# s3.path-style-access: true\n";
  }
  return out;
}

std::string log4j_console_properties() {
  return "# Logging of the StateFun master and workers to the console (kubectl logs,\n"
         "# docker compose logs), written by statefun deploy.\n"
         "rootLogger.level = INFO\n"
         "rootLogger.appenderRef.console.ref = ConsoleAppender\n"
         "appender.console.name = ConsoleAppender\n"
         "appender.console.type = CONSOLE\n"
         "appender.console.layout.type = PatternLayout\n"
         "appender.console.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n\n"
         "logger.kafka.name = org.apache.kafka\n"
         "logger.kafka.level = WARN\n";
}

}  // namespace statefun::cli
