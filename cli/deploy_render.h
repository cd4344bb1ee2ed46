// Turns a deployment plan (cli/deploy_plan.h) into the files `statefun
// deploy` writes. Pure: the same plan gives the same bytes, so running the
// command again over its own output changes nothing.
//
//   k8s:     01-config.yaml     ConfigMap: module.yaml, flink-conf.yaml, log4j
//            02-functions.yaml  a Deployment + Service per function service
//            03-statefun.yaml   the master and worker Deployments + Services
//   compose: docker-compose.yml, module.yaml, flink-conf/ (flink-conf.yaml, log4j)
//
// The layout follows Apache Flink StateFun's Kubernetes example: the official
// image reads ROLE and MASTER_HOST, /opt/flink/conf and the module under
// /opt/statefun/modules/<project>/.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cli/deploy_plan.h"

namespace statefun::cli {

struct DeployFile {
  std::string path;  // relative to the output folder
  std::string content;
};

std::vector<DeployFile> render_k8s(const DeployPlan& plan);
// `project_dir`: the project's folder relative to the output folder
// (build contexts are relative to the compose file).
std::vector<DeployFile> render_compose(const DeployPlan& plan, std::string_view project_dir);

// flink-conf.yaml for the master and workers: RocksDB, checkpoints to
// plan.checkpoint_dir (with S3 settings to fill in for an s3:// one).
std::string flink_conf_yaml(const DeployPlan& plan);
// log4j-console.properties: the image's conf folder is replaced as a whole,
// so it needs one.
std::string log4j_console_properties();
// Where the official image reads a module.
std::string module_mount_dir(const DeployPlan& plan);

// YAML text helpers for the renderers.
std::string yaml_quote(std::string_view text);  // a double-quoted scalar
// `text` as a literal block scalar's lines, each indented by `indent` spaces.
std::string yaml_block(std::string_view text, int indent);

}  // namespace statefun::cli
