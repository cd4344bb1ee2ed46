#include "cli/scenario_runner.h"

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <variant>

#include "cli/admin_client.h"
#include "cli/dev_child.h"
#include "cli/dev_readiness.h"
#include "cli/json_diff.h"
#include "emulator/admin/admin_http.h"
#include "emulator/values/value_codec.h"
#include "runtime/core/time_text.h"

namespace statefun::cli {
namespace {

namespace fs = std::filesystem;
using emulator::Scenario;
using emulator::ScenarioStep;
using Kind = ScenarioStep::Kind;

// A step that did not hold: its message and the lines that explain it.
struct Failed {
  std::string message;
  std::vector<std::string> details;
};
using StepResult = std::optional<Failed>;

Failed failed(std::string message, std::vector<std::string> details = {}) {
  return Failed{std::move(message), std::move(details)};
}

std::string compact(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

class ScenarioRun {
 public:
  ScenarioRun(const Scenario& scenario, const ScenarioRunOptions& options)
      : m_scenario(scenario), m_options(options) {}

  ScenarioResult run() {
    auto started = std::chrono::steady_clock::now();
    ScenarioResult result;
    auto since = [](std::chrono::steady_clock::time_point t) {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    };
    auto finish = [&](std::optional<Failed> failure, std::string where) {
      result.seconds = since(started);
      if (failure) {
        result.failure = where.empty() ? failure->message : where + ": " + failure->message;
        result.details = std::move(failure->details);
        if (m_dev) result.log_tail = m_dev->log_tail(40);
      }
      result.passed = !failure;
      // Our connections first: the admin API's server would otherwise wait
      // for their keep-alive to time out before statefun dev can exit.
      m_long_client.reset();
      m_client.reset();
      if (m_dev) m_dev->stop();
      return result;
    };
    if (auto failure = start(); failure) return finish(failure, "starting statefun dev");
    result.ready_seconds = since(started);
    started = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < m_scenario.steps.size(); ++i) {
      const auto& step = m_scenario.steps[i];
      if (auto failure = run_step(step); failure) {
        return finish(failure, fmt::format("step {} ({}, line {})", i + 1, step.label, step.line));
      }
    }
    return finish(std::nullopt, "");
  }

 private:
  StepResult start() {
    const fs::path work(m_options.work_dir);
    const fs::path data = work / "data";
    std::error_code ec;
    fs::create_directories(data, ec);
    if (!m_options.installs_from.empty() && fs::exists(m_options.installs_from, ec)) {
      fs::copy(m_options.installs_from, data / "installs", fs::copy_options::recursive, ec);
    }
    std::vector<int> ports;
    for (std::size_t i = 0; i < 3 + m_options.process_names.size(); ++i) {
      auto port = free_local_port();
      if (!port) return failed(port.error().message);
      ports.push_back(*port);
    }
    m_admin_port = ports[0];
    std::vector<std::string> args{"dev",
                                  "-m",
                                  m_options.module_path,
                                  "--data",
                                  data.string(),
                                  "--admin-port",
                                  std::to_string(ports[0]),
                                  "--ingress-port",
                                  std::to_string(ports[1]),
                                  "--egress-port",
                                  std::to_string(ports[2]),
                                  "--no-watch",
                                  "--color",
                                  "never",
                                  "--clock",
                                  "virtual",
                                  "--clock-start",
                                  m_scenario.clock_start.value_or(m_options.clock_start)};
    if (!m_options.config_path.empty()) {
      args.push_back("-c");
      args.push_back(m_options.config_path);
    }
    for (std::size_t i = 0; i < m_options.process_names.size(); ++i) {
      args.push_back("--process-port");
      args.push_back(fmt::format("{}={}", m_options.process_names[i], ports[3 + i]));
    }
    if (m_scenario.retry_max_attempts) {
      args.push_back("--retry-max-attempts");
      args.push_back(std::to_string(*m_scenario.retry_max_attempts));
    }
    auto dev = DevChild::start(args, (work / "dev.log").string());
    if (!dev) return failed(dev.error().message);
    m_dev.emplace(std::move(*dev));
    m_client = std::make_unique<AdminClient>(AdminClientOptions{
        m_admin_port, emulator::admin_token_from_env(), std::chrono::seconds(10)});
    return wait_until_ready();
  }

  // Until the admin API answers and every function process is ready (a
  // first install may take minutes: startup_timeout bounds it).
  StepResult wait_until_ready() {
    const auto deadline = std::chrono::steady_clock::now() + m_options.startup_timeout;
    std::string last = "the admin API did not answer";
    for (;;) {
      if (!m_dev->running()) {
        return failed(fmt::format("statefun dev {} before it was ready", m_dev->exit_text()));
      }
      if (auto status = m_client->get("/v1/status"); status) {
        const auto readiness = dev_readiness(*status, m_options.process_names);
        if (std::holds_alternative<DevReady>(readiness)) return std::nullopt;
        if (const auto* cannot = std::get_if<DevCannotStart>(&readiness)) {
          return failed(cannot->why);
        }
        last = std::get<DevNotReady>(readiness).why;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        return failed(fmt::format(
            "not ready after {}: {}",
            duration_text(
                std::chrono::duration_cast<std::chrono::milliseconds>(m_options.startup_timeout)),
            last));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  StepResult run_step(const ScenarioStep& step) {
    switch (step.kind) {
      case Kind::kSend:
        return send(step);
      case Kind::kProduce:
        return produce(step);
      case Kind::kAdvance:
        return advance(step);
      case Kind::kWait:
        return wait_idle(step);
      case Kind::kExpectEgress:
        return expect_egress(step);
      case Kind::kExpectState:
        return expect_state(step);
      case Kind::kExpectNoMessage:
        return expect_no_message(step);
      case Kind::kExpectDeadLetter:
        return expect_dead_letter(step);
    }
    return std::nullopt;
  }

  // A client whose requests may take `ms` (plus a margin).
  AdminClient& client_for(std::chrono::milliseconds ms) {
    m_long_client = std::make_unique<AdminClient>(AdminClientOptions{
        m_admin_port, emulator::admin_token_from_env(), ms + std::chrono::seconds(5)});
    return *m_long_client;
  }

  StepResult send(const ScenarioStep& step) {
    const Json& value = *step.value;
    std::string type = step.type_name;
    values::InputForm form = values::InputForm::kJson;
    std::string input = compact(value);
    if (value.is_string()) {
      form = values::InputForm::kString;
      input = value.get<std::string>();
      if (type.empty()) type = "io.statefun.types/string";
    } else if (value.is_number_integer()) {
      form = values::InputForm::kNatural;
      if (type.empty()) type = "io.statefun.types/int";
    } else if (value.is_boolean() || value.is_number()) {
      form = values::InputForm::kNatural;
    }
    if (type.empty()) {
      return failed("give the message's type: (e.g. type: example/MyMessage) for a JSON value");
    }
    auto bytes = values::encode(type, form, input);
    if (!bytes) return failed(bytes.error().message);
    auto answer = m_client->post("/v1/messages", Json{{"address", step.address},
                                                      {"typename", type},
                                                      {"base64", values::base64_encode(*bytes)}});
    if (!answer) return failed(answer.error().message);
    return std::nullopt;
  }

  // An emulated Kafka/Kinesis record: routed by module.yaml's ingresses as
  // `statefun topic produce` does; the answer comes once its messages are
  // committed.
  StepResult produce(const ScenarioStep& step) {
    const Json& value = *step.value;
    Json body{{"key", step.key ? Json(*step.key) : Json(nullptr)}};
    if (value.is_string()) {
      body["text"] = value.get<std::string>();
    } else {
      body["json"] = value;
    }
    auto answer =
        m_client->post(fmt::format("/v1/topics/{}/records", url_encode(step.topic)), body);
    if (!answer) return failed(answer.error().message);
    return std::nullopt;
  }

  StepResult advance(const ScenarioStep& step) {
    // An advance lasts as long as the steps it causes.
    auto& client = client_for(std::chrono::minutes(10));
    Result<Json> answer;
    if (step.advance_to) {
      answer = client.post("/v1/clock/set", Json{{"time", *step.advance_to}});
    } else if (step.until_idle) {
      Json body{{"until_idle", true}};
      if (step.horizon_ms) body["horizon"] = *step.horizon_ms;
      answer = client.post("/v1/clock/advance", body);
    } else {
      answer = client.post("/v1/clock/advance", Json{{"duration", *step.advance_ms}});
    }
    if (!answer) return failed(answer.error().message);
    return std::nullopt;
  }

  StepResult wait_idle(const ScenarioStep& step) {
    const auto timeout =
        step.timeout_ms ? std::chrono::milliseconds(*step.timeout_ms) : m_options.wait_timeout;
    auto& client = client_for(timeout);
    auto answer = client.get(fmt::format("/v1/wait?timeout_ms={}", timeout.count()));
    if (!answer) return failed(answer.error().message);
    return std::nullopt;
  }

  StepResult expect_egress(const ScenarioStep& step) {
    if (auto failure = wait_idle(step); failure) return failure;
    int64_t& cursor = m_egress_cursor[step.topic];
    auto answer =
        m_client->get(fmt::format("/v1/egress/{}?from={}&limit=1", url_encode(step.topic), cursor));
    if (!answer) return failed(answer.error().message);
    const Json& records = (*answer)["records"];
    if (records.empty()) {
      return failed(fmt::format("no (further) record on topic {}", step.topic),
                    {"expected: " + compact(*step.value)});
    }
    const Json& record = records.front();
    cursor = record["offset"].get<int64_t>() + 1;
    const Json payload = record["payload"];
    Json actual = payload;
    if (payload.is_string()) {
      actual = Json::parse(payload.get<std::string>(), nullptr, false);
      if (actual.is_discarded()) actual = payload;
    }
    const bool same_text = step.value->is_string() && payload.is_string() &&
                           step.value->get<std::string>() == payload.get<std::string>();
    if (same_text || json_equal(*step.value, actual)) return std::nullopt;
    return failed(
        fmt::format("record {} on topic {} differs", record["offset"].get<int64_t>(), step.topic),
        difference(*step.value, actual));
  }

  static std::vector<std::string> difference(const Json& expected, const Json& actual) {
    std::vector<std::string> lines{"expected: " + compact(expected),
                                   "actual:   " + compact(actual)};
    if (expected.is_structured() && actual.is_structured()) {
      for (auto& line : json_diff(expected, actual)) lines.push_back("  " + line);
    }
    return lines;
  }

  StepResult expect_state(const ScenarioStep& step) {
    if (auto failure = wait_idle(step); failure) return failure;
    auto answer =
        m_client->get(fmt::format("/v1/state/{}/{}", step.address, url_encode(step.name)));
    if (!answer && answer.error().code != ErrorCode::kNotFound) {
      return failed(answer.error().message);
    }
    if (!answer) {
      if (step.absent) return std::nullopt;
      return failed(fmt::format("{} has no state {}", step.address, step.name),
                    {"expected: " + compact(*step.value), answer.error().message});
    }
    const Json actual = (*answer)["state"]["value"];
    if (step.absent) {
      return failed(fmt::format("{} state {} is set", step.address, step.name),
                    {"expected: absent", "actual:   " + compact(actual)});
    }
    if (json_equal(*step.value, actual)) return std::nullopt;
    return failed(fmt::format("{} state {} differs", step.address, step.name),
                  difference(*step.value, actual));
  }

  StepResult expect_no_message(const ScenarioStep& step) {
    if (auto failure = wait_idle(step); failure) return failure;
    std::vector<std::string> topics;
    if (!step.topic.empty()) {
      topics.push_back(step.topic);
    } else {
      auto listed = m_client->get("/v1/egress");
      if (!listed) return failed(listed.error().message);
      for (const auto& t : (*listed)["topics"]) topics.push_back(t["topic"].get<std::string>());
    }
    std::vector<std::string> found;
    for (const auto& topic : topics) {
      auto answer = m_client->get(
          fmt::format("/v1/egress/{}?from={}&limit=5", url_encode(topic), m_egress_cursor[topic]));
      if (!answer) {
        if (answer.error().code == ErrorCode::kNotFound) continue;
        return failed(answer.error().message);
      }
      for (const auto& record : (*answer)["records"]) {
        found.push_back(fmt::format("{} #{}: {}", topic, record["offset"].get<int64_t>(),
                                    record["payload"].is_string()
                                        ? record["payload"].get<std::string>()
                                        : compact(record["payload_base64"])));
      }
    }
    if (found.empty()) return std::nullopt;
    return failed(step.topic.empty() ? "unexpected egress records"
                                     : fmt::format("unexpected records on topic {}", step.topic),
                  found);
  }

  StepResult expect_dead_letter(const ScenarioStep& step) {
    if (auto failure = wait_idle(step); failure) return failure;
    std::string path = "/v1/dead-letters";
    if (!step.address.empty()) path += "?address=" + url_encode(step.address);
    auto answer = m_client->get(path);
    if (!answer) return failed(answer.error().message);
    std::vector<std::string> others;
    for (const auto& letter : (*answer)["dead_letters"]) {
      const int64_t id = letter["id"].get<int64_t>();
      if (m_seen_dead_letters.contains(id)) continue;
      const std::string type = letter["message"]["typename"].get<std::string>();
      if (step.type_name.empty() || type == step.type_name) {
        m_seen_dead_letters.insert(id);
        return std::nullopt;
      }
      others.push_back(fmt::format("{} {} ({})", letter["target"].get<std::string>(), type,
                                   letter["cause"].get<std::string>()));
    }
    std::string wanted = "a dead letter";
    if (!step.type_name.empty()) wanted += " of type " + step.type_name;
    if (!step.address.empty()) wanted += " for " + step.address;
    if (others.empty()) others.push_back("(no other new dead letters)");
    return failed("expected " + wanted + ", found none", others);
  }

  const Scenario& m_scenario;
  const ScenarioRunOptions& m_options;
  std::optional<DevChild> m_dev;
  int m_admin_port = 0;
  std::unique_ptr<AdminClient> m_client;
  std::unique_ptr<AdminClient> m_long_client;
  std::map<std::string, int64_t> m_egress_cursor;  // next offset to read, per topic
  std::set<int64_t> m_seen_dead_letters;           // matched by an earlier step
};

}  // namespace

ScenarioResult run_scenario(const Scenario& scenario, const ScenarioRunOptions& options) {
  return ScenarioRun(scenario, options).run();
}

}  // namespace statefun::cli
