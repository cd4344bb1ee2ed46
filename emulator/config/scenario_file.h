// Scenario files for `statefun test` (docs/testing.md): YAML, one file per
// group of scenarios, each a list of steps run against a fresh `statefun
// dev` on a virtual clock:
//
//   name: a year of billing           # or `scenarios: [{name, steps}, ...]`
//   clock: 2027-01-01T00:00:00Z       # where the virtual clock starts
//   retry: {max_attempts: 3}          # optional: dead-letter after 3 failures
//   steps:
//     - send: {to: ns/type/id, type: ns/Type, value: {...}}
//     - produce: {topic: t, key: k, value: {...}}   # an emulated Kafka/Kinesis record
//     - advance: 30d                  # or {until_idle: true, horizon: 1d} / {to: TIME}
//     - wait: 10s                     # until idle (default timeout 30s)
//     - expect egress: {topic: t, value: ...}
//     - expect state: {address: ns/type/id, name: n, value: ...}   # or absent: true
//     - expect no message: {topic: t}                # or {} for every topic
//     - expect dead-letter: {address: ns/type/id, type: ns/Type}   # both optional
//
// Values are written as YAML and compared as JSON with what the admin API
// decodes. Errors name the file, line and column, and the field, as
// statefun.yaml's do (yaml_fields.h).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "runtime/core/result.h"

namespace statefun::emulator {

struct ScenarioStep {
  enum class Kind {
    kSend,
    kProduce,
    kAdvance,
    kWait,
    kExpectEgress,
    kExpectState,
    kExpectNoMessage,
    kExpectDeadLetter
  };
  Kind kind = Kind::kWait;
  std::string label;  // as written: "send", "expect egress", ...
  int line = 0;       // 1-based line of the step in its file
  // send: to, type (empty: from the value), value. produce: topic, key
  // (none: a record without a key), value (text as is, anything else as
  // JSON text). expect state: address,
  // name, value or absent. expect egress / no message: topic (empty: every
  // topic, for no message). expect dead-letter: address, type (both
  // optional).
  std::string address;
  std::string type_name;
  std::string name;
  std::string topic;
  std::optional<std::string> key;
  std::optional<nlohmann::json> value;
  bool absent = false;
  // advance: by a duration, to a time (as written; read against the
  // virtual now), or until idle within a horizon.
  std::optional<int64_t> advance_ms;
  std::optional<std::string> advance_to;
  bool until_idle = false;
  std::optional<int64_t> horizon_ms;
  // wait (and the wait for idle every expectation does first).
  std::optional<int64_t> timeout_ms;
};

struct Scenario {
  std::string file;  // as given
  std::string name;  // `name`, else the file's stem (and index, when several)
  int line = 0;
  std::optional<std::string> clock_start;  // as written; default: statefun test's choice
  std::optional<int64_t> retry_max_attempts;
  std::vector<ScenarioStep> steps;
};

// Parses one scenario file's text; `path` labels errors.
Result<std::vector<Scenario>> parse_scenario_file(std::string_view text, const std::string& path);
// Reads and parses a file; a missing file is an error naming it.
Result<std::vector<Scenario>> load_scenario_file(const std::string& path);

}  // namespace statefun::emulator
