#include "cli/deploy_command.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "cli/deploy_plan.h"
#include "cli/deploy_render.h"
#include "cli/output.h"

namespace statefun::cli {
namespace {
namespace fs = std::filesystem;

struct DeployArgs {
  std::string target;
  std::string project = ".";
  std::string out;
  bool force = false;
  DeployOptions options;
  std::string kafka_address, checkpoint_dir;  // empty: the options' defaults
};

std::string read_or_empty(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Whether `dir` holds exactly `files` (same paths, same bytes).
bool holds_exactly(const fs::path& dir, const std::vector<DeployFile>& files) {
  std::set<std::string> expected;
  for (const auto& file : files) {
    expected.insert(file.path);
    if (read_or_empty(dir / file.path) != file.content) return false;
  }
  std::error_code ec;
  for (const auto& entry : fs::recursive_directory_iterator(dir, ec)) {
    if (entry.is_directory()) continue;
    if (!expected.contains(fs::relative(entry.path(), dir, ec).generic_string())) return false;
  }
  return true;
}

Result<void> write_files(const fs::path& dir, const std::vector<DeployFile>& files) {
  for (const auto& file : files) {
    const fs::path path = dir / file.path;
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << file.content;
    if (!out.flush()) return make_error(ErrorCode::kIo, path.string() + ": cannot write");
  }
  return {};
}

std::string next_steps(const DeployPlan& plan, const fs::path& project, const std::string& out) {
  std::string text;
  if (plan.target == DeployTarget::kKubernetes) {
    for (const auto& service : plan.functions) {
      const auto context = (project / service.build_dir).lexically_normal().generic_string();
      text += fmt::format("  docker build -t {} {} && docker push {}\n", service.image, context,
                          service.image);
    }
    text += fmt::format("  kubectl apply -f {}\n", out);
  } else {
    text += fmt::format("  docker compose -f {}/docker-compose.yml up --build\n", out);
  }
  return text;
}

int run_deploy(const DeployArgs& args) {
  DeployTarget target;
  if (args.target == "k8s" || args.target == "kubernetes") {
    target = DeployTarget::kKubernetes;
  } else if (args.target == "compose") {
    target = DeployTarget::kCompose;
  } else {
    return report(
        ErrorCode::kInvalidArgument,
        fmt::format("deploy: unknown target \"{}\": expected k8s or compose", args.target));
  }
  auto project = read_project(args.project);
  if (!project) return report(project.error());
  DeployOptions options = args.options;
  if (!args.kafka_address.empty()) options.kafka_address = args.kafka_address;
  if (!args.checkpoint_dir.empty()) options.checkpoint_dir = args.checkpoint_dir;
  auto plan = plan_deployment(*project, target, options);
  if (!plan) return report(plan.error());

  const std::string target_dir = target == DeployTarget::kKubernetes ? "k8s" : "compose";
  const fs::path out_arg =
      args.out.empty() ? fs::path(args.project) / "deploy" / target_dir : fs::path(args.out);
  std::error_code ec;
  const fs::path out = fs::absolute(out_arg, ec).lexically_normal();
  const auto files =
      target == DeployTarget::kKubernetes
          ? render_k8s(*plan)
          : render_compose(*plan, fs::relative(project->root, out, ec).generic_string());
  const std::string shown = out_arg.lexically_normal().generic_string();
  // The compose target writes a module.yaml: in the project's own folder it
  // would replace the one statefun dev runs.
  if (fs::weakly_canonical(out, ec) == fs::weakly_canonical(project->root, ec)) {
    return report(ErrorCode::kInvalidArgument,
                  fmt::format("deploy: --out {} is the project's own folder: pick a folder "
                              "inside it, such as deploy/{}",
                              shown, target_dir));
  }

  bool unchanged = false;
  if (fs::exists(out, ec)) {
    if (!fs::is_directory(out, ec)) {
      return report(ErrorCode::kFailedPrecondition,
                    fmt::format("deploy: {} exists and is not a folder", shown));
    }
    unchanged = holds_exactly(out, files);
    const bool empty = fs::directory_iterator(out, ec) == fs::directory_iterator();
    if (!unchanged && !empty && !args.force) {
      return report(ErrorCode::kFailedPrecondition,
                    fmt::format("deploy: {} already holds other files: pass --force to "
                                "overwrite what deploy writes there (other files are kept)",
                                shown));
    }
  }
  if (!unchanged) {
    if (auto written = write_files(out, files); !written) return report(written.error());
  }

  const Style style = Style::for_stdout("auto");
  std::string text = fmt::format(
      "{} {} for {} in {}{}:\n", style.green(unchanged ? "Kept" : "Wrote"),
      target == DeployTarget::kKubernetes ? "Kubernetes manifests" : "a docker-compose project",
      plan->project, shown, unchanged ? " (unchanged)" : "");
  for (const auto& file : files) text += "  " + file.path + "\n";
  if (!plan->notes.empty()) {
    text += style.bold("Notes:") + "\n";
    for (const auto& note : plan->notes) text += "  - " + note + "\n";
  }
  text += style.bold("Next:") + "\n" + next_steps(*plan, fs::path(args.project), shown);
  text += "docs/deploy.md in the statefun repository says more.\n";
  print(text);
  return kExitOk;
}

}  // namespace

void setup_deploy_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<DeployArgs>();
  auto* cmd = app.add_subcommand(
      "deploy", "Write what a real Flink StateFun cluster needs: Kubernetes manifests or compose");
  cmd->footer(
      "Targets:\n"
      "  k8s       01-config.yaml (ConfigMap: module.yaml, flink-conf.yaml), 02-functions.yaml\n"
      "            (a Deployment + Service per statefun.yaml process), 03-statefun.yaml (the\n"
      "            master and workers on apache/flink-statefun:3.3.0)\n"
      "  compose   docker-compose.yml, module.yaml and flink-conf/\n"
      "The module.yaml written for the cluster points endpoints at the functions' services\n"
      "and replaces the playground ingress/egress (not in Apache Flink StateFun) with Kafka\n"
      "ones. Values to fill in say CHANGE-ME. Each process is built from its Dockerfile.\n"
      "\n"
      "Examples:\n"
      "  statefun deploy k8s --image-prefix ghcr.io/me --kafka-address kafka:9092\n"
      "  statefun deploy k8s --checkpoint-dir s3://my-bucket/checkpoints\n"
      "  statefun deploy compose && docker compose -f deploy/compose/docker-compose.yml up "
      "--build\n"
      "\nExit codes: 0 written (or already up to date), 1 the output folder holds other\n"
      "files (see --force) or cannot be written, 2 unknown target or bad module.yaml,\n"
      "3 not in a project (no module.yaml).");
  cmd->add_option("target", args->target, "k8s or compose")->required();
  cmd->add_option("--project", args->project, "The project's folder (default: .)");
  cmd->add_option("-o,--out", args->out, "Output folder (default: deploy/<target> in the project)");
  cmd->add_option("--image-prefix", args->options.image_prefix,
                  "Registry and path of the function images (default registry.example.com/"
                  "change-me): images are PREFIX/<project>-<process>:TAG");
  cmd->add_option("--tag", args->options.image_tag, "Tag of the function images (default latest)");
  cmd->add_option("--kafka-address", args->kafka_address,
                  "Kafka broker of the ingress/egress that replace the playground's (default: a "
                  "CHANGE-ME placeholder for k8s, the compose file's own broker for compose)");
  cmd->add_option("--checkpoint-dir", args->checkpoint_dir,
                  "Where Flink checkpoints, e.g. s3://bucket/path (default: a CHANGE-ME s3:// "
                  "placeholder for k8s, a shared volume for compose)");
  cmd->add_flag("-f,--force", args->force, "Overwrite an output folder that holds other files");
  cmd->callback([args, &exit_code] { exit_code = run_deploy(*args); });
}

}  // namespace statefun::cli
