// `statefun deploy`'s model of a project bound for a real Apache Flink
// StateFun cluster: which function services it needs (one per statefun.yaml
// process that serves an endpoint of module.yaml), the images they are built
// into, and the module.yaml the cluster reads (cli/deploy_module.h). The
// renderers (deploy_k8s.h, deploy_compose.h) only turn a plan into files.
//
// Nothing here writes files or prints; reading the project is the one step
// that touches the disk. Errors are one line naming the file and what is
// wrong (kNotFound when the folder is not a project).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "emulator/config/dev_config.h"
#include "emulator/config/module_config.h"
#include "emulator/config/scenario_file.h"
#include "runtime/core/result.h"

namespace statefun::cli {

// The official runtime image both targets run the master and workers on.
inline constexpr std::string_view kStatefunImage = "apache/flink-statefun:3.3.0";
// The Service (k8s) or service (compose) of the StateFun master: the name
// flink-conf.yaml's jobmanager.rpc.address and MASTER_HOST give.
inline constexpr std::string_view kMasterName = "statefun-master";
inline constexpr std::string_view kWorkerName = "statefun-worker";

enum class DeployTarget { kKubernetes, kCompose };

// What the command line may set. Placeholders say CHANGE-ME so they are
// easy to find in the written files.
struct DeployOptions {
  // Images are <image_prefix>/<project>-<service>:<image_tag>.
  std::string image_prefix = "registry.example.com/change-me";
  std::string image_tag = "latest";
  // The broker of the Kafka ingress and egress that replace the playground
  // ones. Unset: a placeholder for k8s, the compose file's own broker
  // (kafka:9092) for compose.
  std::optional<std::string> kafka_address;
  // Where Flink checkpoints. Unset: an s3:// placeholder for k8s, a volume
  // shared by the master and workers for compose.
  std::optional<std::string> checkpoint_dir;
};

// The project as `statefun dev` reads it.
struct ProjectInput {
  std::filesystem::path root;  // absolute
  std::string name;            // a DNS label made from the folder's name
  std::string module_text;     // module.yaml as written
  emulator::ModuleConfig module;
  std::optional<emulator::DevConfig> dev;  // nullopt: no statefun.yaml
  std::vector<emulator::Scenario> scenarios;
};

// Reads module.yaml, statefun.yaml (optional) and scenarios/*.yaml of `root`.
Result<ProjectInput> read_project(const std::filesystem::path& root);

// One container of function code: a Deployment + Service, or a compose service.
struct FunctionService {
  std::string name;     // DNS label; the host name endpoint URLs use
  std::string process;  // the statefun.yaml process it comes from
  int port = 0;
  std::string build_dir;  // the process's working_dir, relative to the project ("." for it)
  bool has_dockerfile = false;
  std::string image;
  // The process's env with HOST=0.0.0.0 (containers are reached over the network).
  std::map<std::string, std::string> env;
};

struct DeployPlan {
  DeployTarget target = DeployTarget::kKubernetes;
  std::string project;      // DNS label; also the module's folder in the image
  std::string module_yaml;  // what the cluster reads
  std::vector<FunctionService> functions;
  std::string checkpoint_dir;
  bool checkpoint_placeholder = false;  // k8s without --checkpoint-dir
  // Kafka: whether the cluster's module uses it, and the broker a compose
  // file runs for it (empty host: none; k8s never runs one), with the
  // topics the module reads and writes, as far as it names them.
  bool uses_kafka = false;
  std::string kafka_broker_host;
  int kafka_broker_port = 9092;
  std::vector<std::string> kafka_topics;
  // What the user must know or fill in, one line each, for the output.
  std::vector<std::string> notes;
};

// A label for Kubernetes and compose: lower case a-z, 0-9 and '-', starting
// with a letter, at most 63 characters ("My_App" -> "my-app"); `fallback`
// when nothing is left.
std::string dns_label(std::string_view text, std::string_view fallback);

// Decides the plan. Fails only on what cannot be deployed at all (the
// legacy single-document module.yaml, a module with no endpoint).
Result<DeployPlan> plan_deployment(const ProjectInput& project, DeployTarget target,
                                   const DeployOptions& options);

}  // namespace statefun::cli
