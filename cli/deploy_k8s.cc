// `statefun deploy k8s`: Kubernetes manifests, laid out as Apache Flink
// StateFun's Kubernetes example has them (see cli/deploy_render.h).
#include <fmt/format.h>

#include "cli/deploy_render.h"

namespace statefun::cli {
namespace {

std::string config_map_name(const DeployPlan& plan) { return plan.project + "-statefun-config"; }

std::string labels(const DeployPlan& plan, std::string_view component, int indent) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  return fmt::format("{}app: {}\n{}component: {}\n", pad, plan.project, pad, component);
}

// A Deployment of one replica up to its container's name: the pod labels
// the Service selects on, and one container named after the component.
std::string deployment_head(const DeployPlan& plan, std::string_view name,
                            std::string_view component) {
  return fmt::format(
      "apiVersion: apps/v1\n"
      "kind: Deployment\n"
      "metadata:\n"
      "  name: {}\n"
      "  labels:\n{}"
      "spec:\n"
      "  replicas: 1\n"
      "  selector:\n"
      "    matchLabels:\n{}"
      "  template:\n"
      "    metadata:\n"
      "      labels:\n{}"
      "    spec:\n"
      "      containers:\n"
      "        - name: {}\n",
      name, labels(plan, component, 4), labels(plan, component, 6), labels(plan, component, 8),
      component);
}

struct Port {
  std::string_view name;
  int number;
};

// A ClusterIP Service selecting `component`'s pods, each port to the same
// container port.
std::string service_document(const DeployPlan& plan, std::string_view name,
                             std::string_view component, const std::vector<Port>& ports) {
  std::string port_lines;
  for (const auto& port : ports) {
    port_lines += fmt::format("    - name: {}\n      port: {}\n      targetPort: {}\n", port.name,
                              port.number, port.number);
  }
  return fmt::format(
      "apiVersion: v1\n"
      "kind: Service\n"
      "metadata:\n"
      "  name: {}\n"
      "  labels:\n{}"
      "spec:\n"
      "  type: ClusterIP\n"
      "  selector:\n{}"
      "  ports:\n{}",
      name, labels(plan, component, 4), labels(plan, component, 4), port_lines);
}

std::string config_map(const DeployPlan& plan) {
  return fmt::format(
      "# The StateFun module and Flink's configuration, mounted by the master and\n"
      "# workers (03-statefun.yaml). Written by statefun deploy k8s.\n"
      "apiVersion: v1\n"
      "kind: ConfigMap\n"
      "metadata:\n"
      "  name: {}\n"
      "  labels:\n{}"
      "data:\n"
      "  module.yaml: |\n{}"
      "  flink-conf.yaml: |\n{}"
      "  log4j-console.properties: |\n{}",
      config_map_name(plan), labels(plan, "statefun", 4), yaml_block(plan.module_yaml, 4),
      yaml_block(flink_conf_yaml(plan), 4), yaml_block(log4j_console_properties(), 4));
}

std::string function_documents(const DeployPlan& plan, const FunctionService& service) {
  std::string env;
  for (const auto& [name, value] : service.env) {
    env += fmt::format("            - name: {}\n              value: {}\n", yaml_quote(name),
                       yaml_quote(value));
  }
  const std::string build_note =
      service.has_dockerfile
          ? fmt::format("docker build -t {} {}", service.image, service.build_dir)
          : fmt::format("CHANGE-ME: {}/Dockerfile is missing", service.build_dir);
  return fmt::format(
             "# The functions of statefun.yaml's process `{}`, built from its Dockerfile\n"
             "# (from the project's folder):\n"
             "#   {}\n"
             "#   docker push {}\n"
             "# CHANGE-ME: the image (statefun deploy --image-prefix sets the registry).\n",
             service.process, build_note, service.image) +
         deployment_head(plan, service.name, service.name) +
         fmt::format(
             "          image: {}\n"
             "          env:\n{}"
             "          ports:\n"
             "            - name: http\n"
             "              containerPort: {}\n"
             "          readinessProbe:\n"
             "            tcpSocket:\n"
             "              port: {}\n"
             "---\n"
             "# module.yaml's endpoints reach the functions at http://{}:{}/...\n",
             yaml_quote(service.image), env, service.port, service.port, service.name,
             service.port) +
         service_document(plan, service.name, service.name, {{"http", service.port}});
}

std::string runtime_deployment(const DeployPlan& plan, std::string_view name, std::string_view role,
                               const std::vector<Port>& ports, int probe_port) {
  std::string port_lines;
  for (const auto& port : ports) {
    port_lines += fmt::format("            - name: {}\n              containerPort: {}\n",
                              port.name, port.number);
  }
  return deployment_head(plan, name, role) + fmt::format(
                                                 "          image: {}\n"
                                                 "          env:\n"
                                                 "            - name: ROLE\n"
                                                 "              value: {}\n"
                                                 "            - name: MASTER_HOST\n"
                                                 "              value: {}\n"
                                                 "          resources:\n"
                                                 "            requests:\n"
                                                 "              memory: 1Gi\n"
                                                 "          ports:\n{}"
                                                 "          livenessProbe:\n"
                                                 "            tcpSocket:\n"
                                                 "              port: {}\n"
                                                 "            initialDelaySeconds: 30\n"
                                                 "            periodSeconds: 60\n"
                                                 "          volumeMounts:\n"
                                                 "            - name: flink-config\n"
                                                 "              mountPath: /opt/flink/conf\n"
                                                 "            - name: module\n"
                                                 "              mountPath: {}\n"
                                                 "      volumes:\n"
                                                 "        - name: flink-config\n"
                                                 "          configMap:\n"
                                                 "            name: {}\n"
                                                 "            items:\n"
                                                 "              - key: flink-conf.yaml\n"
                                                 "                path: flink-conf.yaml\n"
                                                 "              - key: log4j-console.properties\n"
                                                 "                path: log4j-console.properties\n"
                                                 "        - name: module\n"
                                                 "          configMap:\n"
                                                 "            name: {}\n"
                                                 "            items:\n"
                                                 "              - key: module.yaml\n"
                                                 "                path: module.yaml\n",
                                                 yaml_quote(kStatefunImage), role, kMasterName,
                                                 port_lines, probe_port, module_mount_dir(plan),
                                                 config_map_name(plan), config_map_name(plan));
}

std::string statefun_documents(const DeployPlan& plan) {
  const std::vector<Port> master_ports = {{"rpc", 6123}, {"blob", 6124}, {"ui", 8081}};
  const std::vector<Port> worker_ports = {{"rpc", 6122}};
  return "# The StateFun runtime on the official image: one master (Flink's JobManager,\n"
         "# web UI on 8081: kubectl port-forward service/statefun-master 8081) and the\n"
         "# workers (TaskManagers; scale with replicas and parallelism.default).\n" +
         runtime_deployment(plan, kMasterName, "master", master_ports, 6123) + "---\n" +
         service_document(plan, kMasterName, "master", master_ports) + "---\n" +
         runtime_deployment(plan, kWorkerName, "worker", worker_ports, 6122) + "---\n" +
         service_document(plan, kWorkerName, "worker", worker_ports);
}

}  // namespace

std::vector<DeployFile> render_k8s(const DeployPlan& plan) {
  std::string functions;
  for (const auto& service : plan.functions) {
    functions += (functions.empty() ? "" : "---\n") + function_documents(plan, service);
  }
  std::vector<DeployFile> files;
  files.push_back({"01-config.yaml", config_map(plan)});
  if (!functions.empty()) files.push_back({"02-functions.yaml", functions});
  files.push_back({"03-statefun.yaml", statefun_documents(plan)});
  return files;
}

}  // namespace statefun::cli
