// Loads a StateFun module.yaml (every kind docs/module-yaml.md lists)
// into plain structs. Pure parsing: nothing here opens sockets or starts
// anything. Errors name the file, the line and column, the document
// (1-based) and the field, in the words of yaml_fields.h, e.g.
//   module.yaml:8:3: document 2 (io.statefun.endpoints.v2/http): spec.functions:
//     missing required field
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "emulator/config/tls_settings.h"
#include "runtime/core/result.h"

namespace statefun::emulator {

enum class TransportKind { kAsync, kOkHttp };

// One `io.statefun.endpoints.v1/http` or `v2/http` component.
struct HttpEndpointSpec {
  int document = 0;       // 1-based YAML document index (for messages)
  std::string kind;       // the component kind as written
  std::string functions;  // "ns/name" or "ns/*" exactly as written
  std::string function_namespace;
  std::optional<std::string> function_name;  // nullopt for a namespace wildcard
  std::string url_path_template;
  int max_num_batch_requests = 1000;  // <= 0 disables backpressure
  TransportKind transport = TransportKind::kAsync;
  // Effective timeouts after defaults and the `timeouts` object rules:
  // async: call 2 min / connect 20 s (or 1 min / 10 s when `timeouts` is present);
  // okhttp and v1: call 1 min, connect/read/write 10 s.
  std::chrono::milliseconds call_timeout{std::chrono::minutes(2)};
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(20)};
  std::chrono::milliseconds read_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds write_timeout{std::chrono::seconds(10)};
  std::int64_t payload_max_bytes = 33554432;
  std::chrono::milliseconds pool_ttl{std::chrono::seconds(15)};
  int pool_size = 1024;
  // The async transport's TLS fields (endpoint_tls.h applies them).
  ModuleTls tls;

  // The URL for one function type name: every "{function.name}" replaced.
  std::string url_for(std::string_view function_name) const;
};

struct PlaygroundIngressSpec {
  int document = 0;
  int port = 0;  // 0 when missing (the playground then picks a random port)
};

struct PlaygroundEgressSpec {
  int document = 0;
  int port = 0;
  std::vector<std::string> topics;
};

// What a Kafka ingress or egress says about its broker, as module.yaml
// wrote it; `kafka: connect` mode (emulator/kafka/) acts on it.
struct KafkaSettings {
  std::string address;  // spec.address; "" when only properties name bootstrap.servers
  // Ingress only.
  std::string consumer_group_id;             // spec.consumerGroupId; "" when only group.id names it
  std::string auto_offset_reset = "latest";  // autoOffsetResetPosition, lower case
  enum class Start { kGroupOffsets, kEarliest, kLatest, kSpecificOffsets, kDate };
  Start start = Start::kGroupOffsets;  // startupPosition.type (StateFun's default)
  struct PartitionOffset {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t offset = 0;
  };
  std::vector<PartitionOffset> specific_offsets;  // startupPosition.offsets
  std::int64_t start_date_ms = 0;                 // startupPosition.date (ms since the epoch)
  // Egress only: deliverySemantic.type.
  enum class Delivery { kAtLeastOnce, kExactlyOnce, kNone };
  Delivery delivery = Delivery::kAtLeastOnce;
  std::chrono::milliseconds transaction_timeout{0};  // exactly-once only
  // spec.properties, in file order (Kafka client properties).
  std::vector<std::pair<std::string, std::string>> properties;
};

// Kafka / Kinesis components: parsed and validated; statefun dev emulates
// their topics (emulator/topics/topic_routing.h routes ingress records), or
// connects Kafka ones to a real broker (`kafka: connect`, emulator/kafka/).
struct ExternalIoSpec {
  int document = 0;
  std::string kind;  // e.g. io.statefun.kafka.v1/ingress
  std::string id;    // the ingress or egress id (typename)
  // Topics or streams it reads (ingress) with their value types and targets.
  struct Route {
    std::string source;      // topic or stream
    std::string value_type;  // typename used verbatim
    std::vector<std::string> targets;
  };
  std::vector<Route> routes;
  std::optional<KafkaSettings> kafka;  // set for Kafka ingresses and egresses
};

struct ModuleConfig {
  std::string path;  // the file as given, used in messages
  std::vector<HttpEndpointSpec> endpoints;
  std::optional<PlaygroundIngressSpec> playground_ingress;
  std::optional<PlaygroundEgressSpec> playground_egress;
  std::vector<ExternalIoSpec> kafka_ingresses, kafka_egresses;
  std::vector<ExternalIoSpec> kinesis_ingresses, kinesis_egresses;
  bool legacy_format = false;  // version: "3.0" single-document file
  // Non-fatal remarks, one line each (e.g. "no ingress: the real runtime
  // refuses to start without one").
  std::vector<std::string> warnings;

  // The endpoint serving a function type: an exact binding wins over a
  // namespace wildcard. nullptr if none.
  const HttpEndpointSpec* endpoint_for(std::string_view ns, std::string_view name) const;
};

// Parses YAML text. `path` only labels error messages.
Result<ModuleConfig> parse_module_yaml(std::string_view text, const std::string& path);

// Reads and parses a file; a missing/unreadable file is an error naming it.
Result<ModuleConfig> load_module_yaml(const std::string& path);

}  // namespace statefun::emulator
