#include "cli/deploy_module.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace statefun::cli {
namespace {

std::string comment_lines(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find('\n', start), text.size());
    out += "# " + std::string(text.substr(start, end - start)) + "\n";
    start = end + 1;
  }
  return out;
}

YAML::Node kafka_ingress(const ClusterModuleEdits& edits) {
  YAML::Node spec;
  spec["id"] = std::string(kReplacedIngressId);
  spec["address"] = edits.kafka_address;
  spec["consumerGroupId"] = edits.consumer_group;
  // The playground delivers what arrives from now on; earliest also delivers
  // what was produced before the job first started, which a new deployment wants.
  spec["startupPosition"]["type"] = "earliest";
  for (const auto& route : edits.ingress_routes) {
    YAML::Node topic;
    topic["topic"] = route.topic;
    topic["valueType"] = route.value_type;
    for (const auto& target : route.targets) topic["targets"].push_back(target);
    spec["topics"].push_back(topic);
  }
  YAML::Node root;
  root["kind"] = "io.statefun.kafka.v1/ingress";
  root["spec"] = spec;
  return root;
}

YAML::Node kafka_egress(const ClusterModuleEdits& edits) {
  YAML::Node root;
  root["kind"] = "io.statefun.kafka.v1/egress";
  root["spec"]["id"] = std::string(kReplacedEgressId);
  root["spec"]["address"] = edits.kafka_address;
  // exactly-once needs a transactionTimeout that fits the broker's
  // transaction.max.timeout.ms; at-least-once works with any broker.
  root["spec"]["deliverySemantic"]["type"] = "at-least-once";
  return root;
}

std::string ingress_comment(const emulator::PlaygroundIngressSpec& spec,
                            const ClusterModuleEdits& edits) {
  std::string text = fmt::format(
      "statefun deploy: replaces the playground ingress (io.statefun.playground.v1/ingress,\n"
      "HTTP on port {}), which Apache Flink StateFun does not ship, with a Kafka ingress.\n"
      "Produce each message to its topic below, keyed by the target's id, the value\n"
      "being what the playground request carried.",
      spec.port);
  std::vector<std::string> fill_in;
  if (edits.kafka_address.starts_with("CHANGE-ME")) fill_in.emplace_back("the broker address");
  for (const auto& route : edits.ingress_routes) {
    if (route.topic.starts_with("CHANGE-ME")) {
      fill_in.emplace_back(
          "the topic, type and target (no scenario sends a message to read them from)");
      break;
    }
  }
  for (std::size_t i = 0; i < fill_in.size(); ++i) {
    text += (i == 0 ? "\nCHANGE-ME: " : ", and ") + fill_in[i];
  }
  return comment_lines(text + (fill_in.empty() ? "" : "."));
}

std::string egress_comment(const emulator::PlaygroundEgressSpec& spec,
                           const ClusterModuleEdits& edits) {
  std::string topics;
  for (const auto& topic : spec.topics) topics += (topics.empty() ? "" : ", ") + topic;
  return comment_lines(fmt::format(
      "statefun deploy: replaces the playground egress (io.statefun.playground.v1/egress,\n"
      "topics {}), which Apache Flink StateFun does not ship, with a Kafka egress of the\n"
      "same id. Functions must write Kafka egress messages to it (the SDK's Kafka egress\n"
      "builder, same topic names) instead of playground EgressRecord values.{}",
      topics.empty() ? "(none)" : topics,
      edits.kafka_address.starts_with("CHANGE-ME") ? "\nCHANGE-ME: the broker address." : ""));
}

}  // namespace

Result<std::string> cluster_module_yaml(std::string_view text, const emulator::ModuleConfig& module,
                                        const ClusterModuleEdits& edits) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    return make_error(ErrorCode::kInvalidArgument, module.path + ": " + e.what());
  }
  const int ingress_doc = module.playground_ingress ? module.playground_ingress->document : 0;
  const int egress_doc = module.playground_egress ? module.playground_egress->document : 0;

  std::string out = comment_lines(
      fmt::format("Written by `{}` from the project's module.yaml, for an\n"
                  "Apache Flink StateFun 3.3 cluster. Edit the project's module.yaml and run\n"
                  "the command again rather than editing this copy.",
                  edits.generated_by));
  bool first = true;
  for (std::size_t i = 0; i < documents.size(); ++i) {
    const int index = static_cast<int>(i) + 1;
    YAML::Node node = documents[i];
    if (node.IsNull()) continue;
    std::string comment;
    if (index == ingress_doc) {
      comment = ingress_comment(*module.playground_ingress, edits);
      node = kafka_ingress(edits);
    } else if (index == egress_doc) {
      comment = egress_comment(*module.playground_egress, edits);
      node = kafka_egress(edits);
    } else if (auto url = edits.endpoint_urls.find(index); url != edits.endpoint_urls.end()) {
      node = YAML::Clone(node);
      // Legacy v1 endpoints name it urlPathTemplate too (module_config_endpoints.cc).
      node["spec"]["urlPathTemplate"] = url->second;
      comment = comment_lines("statefun deploy: the URL names the functions' service.");
    }
    out += first ? "" : "---\n";
    first = false;
    out += comment + YAML::Dump(node) + "\n";
  }
  return out;
}

}  // namespace statefun::cli
