// What the shell commands (send, state, egress, timers, trace, wait,
// status) share: their common flags, the connection to a running emulator,
// and the offline fallback that reads the state database directly.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/admin_client.h"
#include "cli/output.h"
#include "emulator/config/default_ports.h"
#include "emulator/config/module_config.h"
#include "emulator/values/value_codec.h"
#include "runtime/core/time_text.h"
#include "runtime/protocol/model.h"
#include "runtime/store/store_reader.h"

namespace statefun::cli {

struct CommonOptions {
  bool json = false;   // --json / -o json
  std::string output;  // -o, --output human|json
  std::string color = "auto";
  int admin_port = emulator::kDefaultAdminPort;  // --admin-port, $STATEFUN_ADMIN_PORT
  std::string data_dir;                          // --data, $STATEFUN_DATA
  std::string module_path = "module.yaml";       // -m, $STATEFUN_MODULE
  bool offline = false;                          // --offline: never ask a running emulator
  std::vector<std::string> protos;               // --proto FILE
  std::vector<std::string> proto_paths;          // --proto-path DIR

  bool want_json() const { return json || output == "json"; }
};

// Flag groups; each command adds the ones it understands.
void add_output_flags(CLI::App* app, CommonOptions& options, bool with_json_flag = true);
void add_admin_flags(CLI::App* app, CommonOptions& options);
void add_offline_flags(CLI::App* app, CommonOptions& options);
void add_proto_flags(CLI::App* app, CommonOptions& options);
// --proto FILE and --proto-path DIR into these lists; `proto_help` says
// what the .proto files are for.
void add_proto_flags(CLI::App* app, std::vector<std::string>& protos,
                     std::vector<std::string>& proto_paths, const std::string& proto_help);

// The admin client for the options (token from $STATEFUN_ADMIN_TOKEN).
std::unique_ptr<AdminClient> make_client(
    const CommonOptions& options, std::chrono::milliseconds timeout = std::chrono::seconds(30));

// The .proto files of --proto, loaded; nullptr when none was given.
Result<std::unique_ptr<values::ProtoTypes>> load_protos(const CommonOptions& options);

// Parses ADDR as namespace/type/id, or explains what is wrong
// (kInvalidArgument, so exit code 2).
Result<Address> address_arg(const std::string& text);
// Parses NAMESPACE/TYPE.
Result<FunctionType> type_arg(const std::string& text);

// A duration or a point in time given to `flag`, in the one time grammar
// (docs/time.md). Errors are kInvalidArgument (exit 2) and start with the
// flag: --timeout: invalid duration "soon": expected a number first, ...
Result<std::chrono::milliseconds> duration_arg(std::string_view flag, std::string_view text,
                                               const DurationRules& rules = kSecondsByDefault);
// In ms since the epoch; a duration means that long before now.
Result<int64_t> time_arg(std::string_view flag, std::string_view text, const DurationRules& ago);

// Where read-only commands get their data: the admin API of a running
// emulator, or (when none answers, or with --offline) the state database,
// opened read-only. Both give the same JSON documents (docs/admin-api.md).
class DataSource {
 public:
  static Result<std::unique_ptr<DataSource>> open(const CommonOptions& options);

  bool offline() const { return m_reader != nullptr; }
  AdminClient* admin() { return m_client.get(); }
  StoreReader* reader() { return m_reader.get(); }
  // Where the data came from, for messages: "127.0.0.1:8092" or a path.
  const std::string& where() const { return m_where; }

  Result<Json> addresses(const std::optional<FunctionType>& type);
  Result<Json> states(const Address& address);
  Result<Json> timers(const std::optional<Address>& target);
  Result<Json> topics();
  // kNotFound for a topic that is neither declared nor ever written.
  Result<Json> egress(const std::string& topic, int64_t from_offset, int limit);
  // Emulated Kafka topics and Kinesis streams (emulator/topics/topic_json.h):
  // the list, and a topic's records from an offset. `wait_ms` > 0 (a running
  // emulator only) waits that long for a record when there is none yet.
  Result<Json> kafka_topics();
  Result<Json> topic_records(const std::string& topic, int64_t from_offset, int limit,
                             int64_t wait_ms = 0);
  // {"messages": [...]} (emulator/admin/inbox_json.h)
  Result<Json> pending(const PendingQuery& query);
  // {"dead_letters": [...]}, or one letter (kNotFound when none).
  Result<Json> dead_letters(const std::optional<Address>& address);
  Result<Json> dead_letter(int64_t id);
  // With `payloads`, each step also lists what it consumed, produced and
  // wrote (emulator/admin/causal_json.h, add_step_payloads).
  Result<Json> trace(const TraceQuery& query, bool payloads = false);

 private:
  std::unique_ptr<AdminClient> m_client;
  std::unique_ptr<StoreReader> m_reader;
  std::vector<std::string> m_declared_topics;              // offline: from module.yaml
  std::shared_ptr<const emulator::ModuleConfig> m_module;  // offline: module.yaml, if it loads
  std::string m_where;
};

// Re-decodes a value document ({"typename", "base64", ...}) with the
// user's .proto files when they describe its type.
void redecode(Json& value, const values::ProtoTypes* protos);
// The TypedValue of a value document.
TypedValue typed_value(const Json& value);
// A table cell for a value document.
std::string value_cell(const Json& value, const values::ProtoTypes* protos, std::size_t max = 60);

// One line per step of the admin API's trace (emulator/console/step_line.h:
// the line the console of statefun dev prints).
std::string step_line(const Json& step, const Style& style);
// One line per egress record: "greetings 0 21:58:12.363 Hello Bob!".
std::string egress_line(const Json& record, const Style& style, bool with_topic);

}  // namespace statefun::cli
