#include "cli/test_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "cli/common.h"
#include "cli/junit.h"
#include "cli/scenario_runner.h"
#include "emulator/config/dev_config.h"
#include "emulator/config/scenario_file.h"

namespace statefun::cli {
namespace {

namespace fs = std::filesystem;
using emulator::Scenario;

struct TestArgs {
  CommonOptions common;
  std::vector<std::string> paths;
  std::string module_path = "module.yaml";
  std::string config_path;
  std::string data_dir;
  int jobs = 2;
  std::string junit;
  std::string timeout = "30s";
  bool keep = false;
};

// The scenario files: those given (a folder means its *.yaml), else
// scenarios/*.yaml beside module.yaml; sorted, so runs are repeatable.
Result<std::vector<std::string>> scenario_files(const TestArgs& args, const fs::path& app_dir) {
  std::vector<std::string> given = args.paths;
  const bool defaulted = given.empty();
  if (defaulted) given.push_back((app_dir / "scenarios").string());
  std::vector<std::string> files;
  for (const auto& path : given) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<std::string> found;
      for (const auto& entry : fs::directory_iterator(path, ec)) {
        const auto ext = entry.path().extension();
        if (entry.is_regular_file(ec) && (ext == ".yaml" || ext == ".yml")) {
          found.push_back(entry.path().string());
        }
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(path, ec)) {
      files.push_back(path);
    } else if (!defaulted) {
      return make_error(ErrorCode::kNotFound, fmt::format("{}: no such file or folder", path));
    }
  }
  if (files.empty()) {
    return make_error(ErrorCode::kNotFound,
                      defaulted ? fmt::format("no scenario files: put them in {} (*.yaml) or "
                                              "name them (statefun test FILE...)",
                                              (app_dir / "scenarios").string())
                                : "no scenario files in the folders given");
  }
  return files;
}

std::string seconds_text(double seconds) { return fmt::format("{:.2f}s", seconds); }

// The steps' wall time, and apart from it how long the dev took to start.
std::string timing(const ScenarioResult& r) {
  return fmt::format("{} (ready in {})", seconds_text(r.seconds), seconds_text(r.ready_seconds));
}

int run_test(TestArgs& args) {
  const fs::path module = fs::absolute(args.module_path).lexically_normal();
  std::error_code ec;
  if (!fs::exists(module, ec)) {
    return report(ErrorCode::kNotFound,
                  fmt::format("{}: no module.yaml (give the app's with -m FILE)", module.string()));
  }
  const fs::path app_dir = module.parent_path();
  std::string config = args.config_path.empty() ? emulator::dev_config_path_for(module.string())
                                                : fs::absolute(args.config_path).string();
  std::vector<std::string> process_names;
  // Install steps that already ran for the app's own statefun dev need not
  // run again: the first scenario starts from its install records.
  fs::path app_data = args.data_dir.empty() ? app_dir / ".statefun" : fs::path(args.data_dir);
  if (fs::exists(config, ec)) {
    auto loaded = emulator::load_dev_config(config);
    if (!loaded) return report(ErrorCode::kInvalidArgument, loaded.error().message);
    for (const auto& p : loaded->processes) process_names.push_back(p.name);
    if (args.data_dir.empty() && loaded->settings.data_dir) app_data = *loaded->settings.data_dir;
  } else if (!args.config_path.empty()) {
    return report(ErrorCode::kNotFound, fmt::format("{}: no such statefun.yaml", config));
  } else {
    config.clear();
  }
  auto timeout = duration_arg("--timeout", args.timeout, kSecondsByDefault);
  if (!timeout) return report(timeout.error());

  auto files = scenario_files(args, app_dir);
  if (!files) return report(files.error());
  std::vector<Scenario> scenarios;
  for (const auto& file : *files) {
    auto parsed = emulator::load_scenario_file(file);
    if (!parsed) return report(ErrorCode::kInvalidArgument, parsed.error().message);
    for (auto& s : *parsed) scenarios.push_back(std::move(s));
  }

  const fs::path work = fs::temp_directory_path() /
                        fmt::format("statefun-test-{}-{}", ::getpid(),
                                    std::chrono::steady_clock::now().time_since_epoch().count());
  fs::create_directories(work, ec);
  if (ec) return report(ErrorCode::kIo, fmt::format("{}: {}", work.string(), ec.message()));

  const Style style = Style::for_stdout(args.common.color);
  const bool json = args.common.want_json();
  std::vector<ScenarioResult> results(scenarios.size());
  std::mutex print_mutex;
  auto options_for = [&](std::size_t i, const std::string& installs) {
    ScenarioRunOptions o;
    o.module_path = module.string();
    o.config_path = config;
    o.process_names = process_names;
    o.work_dir = (work / std::to_string(i + 1)).string();
    std::error_code dir_ec;  // (a failure shows when the dev cannot start there)
    fs::create_directories(o.work_dir, dir_ec);
    o.installs_from = installs;
    o.wait_timeout = *timeout;
    return o;
  };
  auto print_result = [&](std::size_t i) {
    if (json) return;
    const auto& s = scenarios[i];
    const auto& r = results[i];
    std::error_code relative_ec;
    const std::string where =
        fmt::format("{} ({})", s.name, fs::relative(s.file, relative_ec).string());
    std::lock_guard lock(print_mutex);
    if (r.passed) {
      print(fmt::format("{} {} {}\n", style.green("PASS"), where, style.dim(timing(r))));
      return;
    }
    std::string text =
        fmt::format("{} {} {}\n  {}\n", style.red("FAIL"), where, style.dim(timing(r)), r.failure);
    for (const auto& line : r.details) text += "    " + line + "\n";
    if (!r.log_tail.empty()) {
      text += style.dim("  statefun dev output (last lines):\n");
      std::istringstream lines(r.log_tail);
      for (std::string line; std::getline(lines, line);) text += style.dim("    | " + line) + "\n";
    }
    print(text);
  };
  const auto started = std::chrono::steady_clock::now();
  // The first scenario alone: it runs the install steps; the others start
  // from its install records and run side by side.
  results[0] = run_scenario(scenarios[0], options_for(0, (app_data / "installs").string()));
  print_result(0);
  const std::string installs = (work / "1" / "data" / "installs").string();
  std::atomic<std::size_t> next{1};
  auto worker = [&] {
    for (std::size_t i = next++; i < scenarios.size(); i = next++) {
      results[i] = run_scenario(scenarios[i], options_for(i, installs));
      print_result(i);
    }
  };
  std::vector<std::thread> workers;
  const int jobs = std::clamp<int>(args.jobs, 1, 64);
  for (int j = 0; j < jobs && static_cast<std::size_t>(j) + 1 < scenarios.size(); ++j) {
    workers.emplace_back(worker);
  }
  for (auto& w : workers) w.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!args.keep) fs::remove_all(work, ec);

  int failed = 0;
  std::vector<JunitCase> cases;
  Json listed = Json::array();
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    const auto& r = results[i];
    failed += r.passed ? 0 : 1;
    std::string details;
    for (const auto& line : r.details) details += line + "\n";
    if (!r.log_tail.empty()) details += "statefun dev output (last lines):\n" + r.log_tail;
    cases.push_back({scenarios[i].file, scenarios[i].name, r.ready_seconds + r.seconds, r.passed,
                     r.failure, details});
    listed.push_back({{"file", scenarios[i].file},
                      {"name", scenarios[i].name},
                      {"passed", r.passed},
                      {"seconds", r.seconds},
                      {"ready_seconds", r.ready_seconds},
                      {"failure", r.passed ? Json(nullptr) : Json(r.failure)},
                      {"details", r.details},
                      {"log_tail", r.passed ? Json(nullptr) : Json(r.log_tail)}});
  }
  if (!args.junit.empty()) {
    std::ofstream out(args.junit, std::ios::binary | std::ios::trunc);
    out << junit_xml(cases, seconds);
    if (!out) return report(ErrorCode::kIo, fmt::format("--junit {}: cannot write", args.junit));
  }
  const int passed = static_cast<int>(scenarios.size()) - failed;
  if (json) {
    print_json(
        {{"passed", passed}, {"failed", failed}, {"seconds", seconds}, {"scenarios", listed}});
  } else {
    const std::string summary =
        fmt::format("{} passed, {} failed in {}", passed, failed, seconds_text(seconds));
    print((failed ? style.red(summary) : style.green(summary)) + "\n");
    if (args.keep) print(style.dim(fmt::format("kept {}\n", work.string())));
  }
  return failed ? kExitFailure : kExitOk;
}

}  // namespace

void setup_test_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<TestArgs>();
  auto* cmd = app.add_subcommand(
      "test", "Run the app's scenario files, each against a fresh statefun dev on a virtual clock");
  cmd->footer(
      "Scenario files (YAML) live in scenarios/ beside module.yaml unless given; their steps\n"
      "are send, produce, advance, wait, expect egress, expect state, expect no message and\n"
      "expect dead-letter (docs/testing.md). Each scenario gets its own statefun dev:\n"
      "statefun.yaml's processes on free ports, a temporary data directory, a virtual clock.\n"
      "\nExamples:\n"
      "  statefun test\n"
      "  statefun test scenarios/billing.yaml --junit report.xml\n"
      "  statefun test -m app/module.yaml --jobs 4 --json\n"
      "\nExit codes: 0 all passed, 1 a scenario failed, 2 a bad scenario file or flag, 3 no "
      "scenario files.");
  cmd->add_option("files", args->paths, "Scenario files or folders (default: scenarios/)");
  cmd->add_option("-m,--module", args->module_path, "The app's module.yaml")
      ->capture_default_str()
      ->envname("STATEFUN_MODULE");
  cmd->add_option("-c,--config", args->config_path,
                  "Its statefun.yaml (default: the one beside module.yaml)")
      ->envname("STATEFUN_CONFIG");
  cmd->add_option("--data", args->data_dir,
                  "The app's data directory, whose install records spare the scenarios a "
                  "new install (default: statefun.yaml's, else .statefun beside module.yaml)")
      ->envname("STATEFUN_DATA");
  cmd->add_option("-j,--jobs", args->jobs, "Scenarios run side by side (after the first)")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  cmd->add_option("--junit", args->junit, "Also write a JUnit XML report to FILE")
      ->type_name("FILE");
  cmd->add_option("--timeout", args->timeout,
                  "How long a wait or an expectation waits for the app to be idle")
      ->capture_default_str();
  cmd->add_flag("--keep", args->keep, "Keep each scenario's data directory and statefun dev log");
  add_output_flags(cmd, args->common);
  cmd->callback([args, &exit_code] { exit_code = run_test(*args); });
}

}  // namespace statefun::cli
