// The module.yaml a real StateFun cluster reads, made from the project's:
// endpoint URLs that named this machine point at the functions' services,
// and the playground ingress and egress (io.statefun.playground.v1/..., which
// only `statefun dev` and the playground image have; the Apache Flink StateFun
// distribution does not ship them) become Kafka ingress and egress
// (io.statefun.kafka.v1/...). Every other document, Kafka and Kinesis ones
// included, is kept as it is.
//
// The result is YAML that cli/deploy_plan.h's callers write as is; comments
// of the original are not carried over (each rewritten document gets its own).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "emulator/config/module_config.h"
#include "runtime/core/result.h"

namespace statefun::cli {

// The ids the Kafka replacements get: the playground's own egress id, so a
// function only changes how it builds the message (a Kafka egress message
// with the same typename and topic), not where it sends it.
inline constexpr std::string_view kReplacedIngressId = "io.statefun.playground/ingress";
inline constexpr std::string_view kReplacedEgressId = "io.statefun.playground/egress";

// One topic of the Kafka ingress that replaces the playground ingress: its
// records (key: the target's id) carry `value_type` to `targets`.
struct KafkaIngressRoute {
  std::string topic;
  std::string value_type;
  std::vector<std::string> targets;  // function types, ns/name
};

struct ClusterModuleEdits {
  std::string generated_by;                       // "statefun deploy k8s", for the header comment
  std::map<int, std::string> endpoint_urls;       // document (1-based) -> new urlPathTemplate
  std::string kafka_address;                      // broker of the replacements
  std::string consumer_group;                     // the replacement ingress's consumerGroupId
  std::vector<KafkaIngressRoute> ingress_routes;  // for a replaced playground ingress
};

// Rewrites `text` (which parse_module_yaml accepted as `module`).
Result<std::string> cluster_module_yaml(std::string_view text, const emulator::ModuleConfig& module,
                                        const ClusterModuleEdits& edits);

}  // namespace statefun::cli
