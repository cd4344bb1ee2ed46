#include "cli/common.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "emulator/admin/admin_http.h"
#include "emulator/admin/admin_json.h"
#include "emulator/admin/causal_json.h"
#include "emulator/admin/inbox_json.h"
#include "emulator/config/module_config.h"
#include "emulator/console/step_line.h"
#include "emulator/dev/dev_server.h"
#include "emulator/topics/topic_json.h"
#include "runtime/core/clock.h"

namespace statefun::cli {
namespace fs = std::filesystem;

void add_output_flags(CLI::App* app, CommonOptions& options, bool with_json_flag) {
  if (with_json_flag) app->add_flag("--json", options.json, "Print JSON (for scripts)");
  app->add_option("-o,--output", options.output, "Output format: human or json")
      ->check(CLI::IsMember({"human", "json"}));
  app->add_option("--color", options.color,
                  "Colour: auto (on a terminal, unless NO_COLOR is set), always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
}

void add_admin_flags(CLI::App* app, CommonOptions& options) {
  app->add_option("--admin-port", options.admin_port,
                  "Admin API port of the running statefun dev on 127.0.0.1")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535))
      ->envname("STATEFUN_ADMIN_PORT");
}

void add_offline_flags(CLI::App* app, CommonOptions& options) {
  app->add_option("--data", options.data_dir,
                  "State directory to read when no emulator runs (default: .statefun beside "
                  "module.yaml)")
      ->envname("STATEFUN_DATA");
  app->add_option("-m,--module", options.module_path,
                  "module.yaml whose state directory to read when no emulator runs")
      ->capture_default_str()
      ->envname("STATEFUN_MODULE");
  app->add_flag("--offline", options.offline,
                "Read the state database directly even if an emulator runs");
}

void add_proto_flags(CLI::App* app, std::vector<std::string>& protos,
                     std::vector<std::string>& proto_paths, const std::string& proto_help) {
  // One value per occurrence, so a positional after --proto FILE stays one.
  app->add_option("--proto", protos, proto_help)->allow_extra_args(false);
  app->add_option("--proto-path", proto_paths,
                  "A directory to resolve .proto imports in (repeatable)")
      ->allow_extra_args(false);
}

void add_proto_flags(CLI::App* app, CommonOptions& options) {
  add_proto_flags(app, options.protos, options.proto_paths,
                  "A .proto file describing protobuf-typed values (repeatable)");
}

std::unique_ptr<AdminClient> make_client(const CommonOptions& options,
                                         std::chrono::milliseconds timeout) {
  return std::make_unique<AdminClient>(
      AdminClientOptions{options.admin_port, emulator::admin_token_from_env(), timeout});
}

Result<std::unique_ptr<values::ProtoTypes>> load_protos(const CommonOptions& options) {
  if (options.protos.empty()) return std::unique_ptr<values::ProtoTypes>();
  auto protos = values::ProtoTypes::load(options.protos, options.proto_paths);
  if (!protos) {
    // A .proto that does not parse is a bad argument.
    auto error = protos.error();
    if (error.code == ErrorCode::kNotFound) error.code = ErrorCode::kInvalidArgument;
    return std::unexpected(error);
  }
  return std::move(*protos);
}

namespace {

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const auto at = text.find(separator, start);
    parts.push_back(text.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return parts;
    start = at + 1;
  }
}

}  // namespace

Result<std::chrono::milliseconds> duration_arg(std::string_view flag, std::string_view text,
                                               const DurationRules& rules) {
  auto duration = parse_duration(text, rules);
  if (!duration) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{}: {}", flag, duration.error().message));
  }
  return *duration;
}

Result<int64_t> time_arg(std::string_view flag, std::string_view text, const DurationRules& ago) {
  auto at = parse_time_point(text, SystemClock().now_ms(), ago);
  if (!at)
    return make_error(ErrorCode::kInvalidArgument, fmt::format("{}: {}", flag, at.error().message));
  return *at;
}

Result<Address> address_arg(const std::string& text) {
  if (auto address = parse_address(text)) return *address;
  const auto parts = split(text, '/');
  return make_error(ErrorCode::kInvalidArgument,
                    parts.size() != 3
                        ? fmt::format("'{}' is not an address: expected namespace/type/id, got "
                                      "{} part{}",
                                      text, parts.size(), parts.size() == 1 ? "" : "s")
                        : fmt::format("'{}' is not an address: namespace, type and id must not "
                                      "be empty",
                                      text));
}

Result<FunctionType> type_arg(const std::string& text) {
  const auto parts = split(text, '/');
  if (parts.size() == 2 && !parts[0].empty() && !parts[1].empty()) {
    return FunctionType{parts[0], parts[1]};
  }
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("'{}' is not a function type: expected namespace/type, got {} "
                                "part{}",
                                text, parts.size(), parts.size() == 1 ? "" : "s"));
}

Result<std::unique_ptr<DataSource>> DataSource::open(const CommonOptions& options) {
  auto source = std::unique_ptr<DataSource>(new DataSource());
  if (!options.offline) {
    auto client = make_client(options);
    auto health = client->get("/v1/health");
    if (health) {
      source->m_where = client->where();
      source->m_client = std::move(client);
      return source;
    }
    if (health.error().code != ErrorCode::kUnavailable) return std::unexpected(health.error());
  }
  // No emulator: read its database, read-only.
  const std::string data_dir =
      options.data_dir.empty() ? emulator::default_data_dir(options.module_path) : options.data_dir;
  const std::string path = database_path(data_dir);
  auto reader = StoreReader::open(path);
  if (!reader) {
    auto error = reader.error();
    if (error.code == ErrorCode::kNotFound) {
      // Neither an emulator nor a database: nothing to look at. Not a
      // "not found" of the thing asked for, so a plain failure.
      error.code = ErrorCode::kUnavailable;
      error.message =
          options.offline
              ? fmt::format("no state database at {} (pass --data DIR or -m FILE)", path)
              : fmt::format(
                    "no emulator running on 127.0.0.1:{} and no state "
                    "database at {} (pass --data DIR or -m FILE)",
                    options.admin_port, path);
    }
    return std::unexpected(error);
  }
  source->m_reader = std::move(*reader);
  source->m_where = path;
  std::error_code ec;
  if (fs::is_regular_file(options.module_path, ec)) {
    if (auto config = emulator::load_module_yaml(options.module_path)) {
      if (config->playground_egress) {
        source->m_declared_topics = config->playground_egress->topics;
      }
      source->m_module = std::make_shared<const emulator::ModuleConfig>(std::move(*config));
    }
  }
  return source;
}

Result<Json> DataSource::addresses(const std::optional<FunctionType>& type) {
  if (m_client) {
    return m_client->get("/v1/addresses" +
                         (type ? "?type=" + url_encode(type->str()) : std::string()));
  }
  return emulator::query_addresses(*m_reader, type);
}

Result<Json> DataSource::states(const Address& address) {
  if (m_client) {
    return m_client->get(fmt::format("/v1/state/{}/{}/{}", url_encode(address.type.ns),
                                     url_encode(address.type.name), url_encode(address.id)));
  }
  // Expiry counts in the application's time (a virtual clock's, offline too).
  auto body = emulator::query_states(*m_reader, address, application_now_ms(*m_reader));
  if (body) (*body)["registered"] = nullptr;  // only a running emulator knows
  return body;
}

Result<Json> DataSource::timers(const std::optional<Address>& target) {
  if (m_client) {
    return m_client->get("/v1/timers" +
                         (target ? "?address=" + url_encode(target->str()) : std::string()));
  }
  return emulator::query_timers(*m_reader, target, application_now_ms(*m_reader));
}

Result<Json> DataSource::pending(const PendingQuery& query) {
  if (m_client) {
    std::string path = fmt::format("/v1/inbox?limit={}", query.limit);
    if (query.address) path += "&address=" + url_encode(query.address->str());
    if (query.failing) path += "&failing=1";
    return m_client->get(path);
  }
  return emulator::query_pending(*m_reader, query);
}

Result<Json> DataSource::dead_letters(const std::optional<Address>& address) {
  if (m_client) {
    return m_client->get("/v1/dead-letters" +
                         (address ? "?address=" + url_encode(address->str()) : std::string()));
  }
  return emulator::query_dead_letters(*m_reader, address);
}

Result<Json> DataSource::dead_letter(int64_t id) {
  if (m_client) return m_client->get(fmt::format("/v1/dead-letters/{}", id));
  return emulator::query_dead_letter(*m_reader, id);
}

Result<Json> DataSource::topics() {
  if (m_client) return m_client->get("/v1/egress");
  return emulator::query_topics(*m_reader, m_declared_topics);
}

Result<Json> DataSource::egress(const std::string& topic, int64_t from_offset, int limit) {
  if (m_client) {
    return m_client->get(
        fmt::format("/v1/egress/{}?from={}&limit={}", url_encode(topic), from_offset, limit));
  }
  EgressQuery query;
  query.topic = topic;
  query.from_offset = from_offset;
  query.limit = limit;
  auto body = emulator::query_egress(*m_reader, query);
  if (!body) return body;
  const bool declared = std::find(m_declared_topics.begin(), m_declared_topics.end(), topic) !=
                        m_declared_topics.end();
  if (!declared && (*body)["records"].empty()) {
    auto any = m_reader->egress({topic, 0, 0, 1});
    if (any && any->empty()) {
      return make_error(
          ErrorCode::kNotFound,
          fmt::format("unknown egress topic '{}' (no records in {})", topic, m_where));
    }
  }
  return body;
}

Result<Json> DataSource::kafka_topics() {
  if (m_client) return m_client->get("/v1/topics");
  return emulator::query_topic_list(*m_reader, m_module.get());
}

Result<Json> DataSource::topic_records(const std::string& topic, int64_t from_offset, int limit,
                                       int64_t wait_ms) {
  if (m_client) {
    return m_client->get(fmt::format("/v1/topics/{}/records?from={}&limit={}&wait_ms={}",
                                     url_encode(topic), from_offset, limit, wait_ms));
  }
  return emulator::query_topic_records(*m_reader, m_module.get(), topic, from_offset, limit);
}

Result<Json> DataSource::trace(const TraceQuery& query, bool payloads) {
  if (m_client) {
    std::string path =
        fmt::format("/v1/trace?after_step={}&since_ms={}&limit={}&newest={}", query.after_step,
                    query.since_ms, query.limit, query.newest ? "true" : "false");
    if (query.address) path += "&address=" + url_encode(query.address->str());
    if (payloads) path += "&payloads=true";
    return m_client->get(path);
  }
  auto body = emulator::query_trace(*m_reader, query);
  if (body && payloads) {
    if (auto r = emulator::add_step_payloads(*m_reader, *body); !r) {
      return std::unexpected(r.error());
    }
  }
  return body;
}

void redecode(Json& value, const values::ProtoTypes* protos) {
  if (!protos || !value.is_object() || !value.contains("typename")) return;
  const auto typed = typed_value(value);
  if (!protos->knows(typed.type_name)) return;
  const auto decoded = values::decode(typed, protos);
  value["encoding"] = values::kind_name(decoded.kind);
  value["value"] = Json::parse(decoded.json, nullptr, false);
}

TypedValue typed_value(const Json& value) {
  TypedValue typed{value.value("typename", std::string()), true, ""};
  if (auto bytes = values::base64_decode(value.value("base64", std::string()))) {
    typed.value = std::move(*bytes);
  }
  return typed;
}

std::string value_cell(const Json& value, const values::ProtoTypes* protos, std::size_t max) {
  return values::human(typed_value(value), protos, max);
}

std::string step_line(const Json& step, const Style& style) {
  return emulator::step_line(emulator::trace_from_json(step), style);
}

std::string egress_line(const Json& record, const Style& style, bool with_topic) {
  std::string payload;
  if (record["payload"].is_string()) {
    payload = record["payload"].get<std::string>();
    for (char& c : payload) {
      if (c == '\n' || c == '\r') c = ' ';
    }
  } else {
    payload = style.dim(
        fmt::format("<{} bytes, base64 {}>",
                    values::base64_decode(record.value("payload_base64", "")).value_or("").size(),
                    record.value("payload_base64", "")));
  }
  std::string prefix = with_topic ? style.cyan(record.value("topic", std::string())) + " " : "";
  return fmt::format("{}{} {} {}", prefix, style.dim(std::to_string(record.value("offset", 0))),
                     style.dim(clock_time(record.value("at_ms", int64_t{0}))), payload);
}

}  // namespace statefun::cli
