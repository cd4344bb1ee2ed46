// Internal to the module_config*.cc files. module.yaml is read by one file
// per component family, as StateFun has one binder per kind:
//
//   module_config.cc            documents, kinds dispatch, type names, durations, the public
//                               entry points
//   module_config_legacy.cc     version "3.0" files turned into components
//   module_config_endpoints.cc  io.statefun.endpoints.v1/v2 http, transports, timeouts
//   module_config_ingress.cc    playground, Kafka and Kinesis ingresses
//   module_config_egress.cc     playground, Kafka and Kinesis egresses
//   module_config_io.cc         what ingresses and egresses share: ids, properties, AWS settings
//
// Field reading and the wording of errors come from yaml_fields.h.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emulator/config/module_config.h"
#include "emulator/config/yaml_fields.h"

namespace statefun::emulator::module_yaml {

using Status = Result<void>;

inline constexpr std::string_view kEndpointV2Kind = "io.statefun.endpoints.v2/http";
inline constexpr std::string_view kEndpointV1Kind = "io.statefun.endpoints.v1/http";
inline constexpr std::string_view kPlaygroundIngressKind = "io.statefun.playground.v1/ingress";
inline constexpr std::string_view kPlaygroundEgressKind = "io.statefun.playground.v1/egress";
inline constexpr std::string_view kKafkaIngressKind = "io.statefun.kafka.v1/ingress";
inline constexpr std::string_view kKafkaEgressKind = "io.statefun.kafka.v1/egress";
inline constexpr std::string_view kKinesisIngressKind = "io.statefun.kinesis.v1/ingress";
inline constexpr std::string_view kKinesisEgressKind = "io.statefun.kinesis.v1/egress";

inline constexpr std::string_view kTypenameShape = "<namespace>/<name>";

bool is_known_kind(std::string_view kind);
// Every kind above, comma-separated, for "expected one of" messages.
std::string known_kinds_list();

// One `kind` + `spec` pair, from a document or from a legacy entry.
struct Component {
  YamlDocument document;  // carries the (mapped) kind
  YAML::Node spec;
  std::string spec_path;  // "spec", or the legacy entry's path
  // The mapping that holds the component's `id`: the spec itself, or a
  // legacy entry's meta.
  YAML::Node id_holder;
  std::string id_holder_path;
  // The whole document (kind + spec); null for a legacy entry.
  YAML::Node root;
};

// What a component family reads. Both views point into `Component`.
struct ComponentFields {
  YamlMap spec;
  YamlMap id_holder;
};

// The module being built, and every binding seen so far (binding key ->
// defining document), so that a duplicate names the document of the first.
struct ModuleBuild {
  ModuleConfig config;
  std::map<std::string, int> function_bindings;  // "ns/name" or "ns/*"
  std::map<std::string, int> ingress_ids;
  std::map<std::string, int> egress_ids;
};

// --- type names (module_config.cc) ------------------------------------------

struct TypeNameParts {
  std::string ns;
  std::string name;
};

// TypeName.parseFrom uses Java's split("/"), which drops trailing empty
// parts, so "a/b/" is accepted while "a//b" and "a/b/c" are not.
std::optional<TypeNameParts> split_runtime_typename(std::string_view text);
Result<TypeNameParts> required_typename(const YamlMap& map, std::string_view key);

// --- durations (module_config.cc) -------------------------------------------

// A duration field (parse_duration); absent -> nullopt.
Result<std::optional<std::chrono::milliseconds>> optional_duration(const YamlMap& map,
                                                                   std::string_view key);

// --- legacy files (module_config_legacy.cc) ---------------------------------

// A file of exactly one non-empty document with a top-level `version`.
bool is_legacy_file(const std::vector<YAML::Node>& documents);
// The entries of module.spec.endpoints, ingresses and egresses, in the order
// the runtime binds them. `document` must outlive the result.
Result<std::vector<Component>> legacy_components(const YAML::Node& root,
                                                 const YamlDocument& document);

// --- component families -----------------------------------------------------

// module_config_endpoints.cc
Status add_http_endpoint(const ComponentFields& component, bool is_v1, ModuleBuild& build);

// module_config_ingress.cc
Status add_playground_ingress(const ComponentFields& component, ModuleBuild& build);
Status add_kafka_ingress(const ComponentFields& component, ModuleBuild& build);
Status add_kinesis_ingress(const ComponentFields& component, ModuleBuild& build);

// module_config_egress.cc
Status add_playground_egress(const ComponentFields& component, ModuleBuild& build);
Status add_kafka_egress(const ComponentFields& component, ModuleBuild& build);
Status add_kinesis_egress(const ComponentFields& component, ModuleBuild& build);

// --- shared by ingresses and egresses (module_config_io.cc) -----------------

// The playground's port; a missing one is 0 (a random port) with a warning.
Result<int> read_playground_port(const YamlMap& spec, ModuleBuild& build);
// The playground image binds its I/O under fixed ids, so a second playground
// ingress (or egress) is a duplicate binding.
Status bind_playground_id(std::map<std::string, int>& ids, std::string_view id,
                          std::string_view direction, const YamlMap& spec);
// A Kafka or Kinesis component's id, bound once among `ids`.
Result<ExternalIoSpec> read_external_id(const ComponentFields& component,
                                        std::map<std::string, int>& ids,
                                        std::string_view direction);
// Property lists are YAML lists of single-key mappings: `- foo.config: bar`.
Result<std::map<std::string, std::string>> read_properties(const YamlMap& map,
                                                           std::string_view key);
// Kafka settings that may come either from a dedicated field or from the raw
// client properties.
Status require_field_or_property(const YamlMap& spec, std::string_view key,
                                 const std::map<std::string, std::string>& properties,
                                 const std::string& property, std::string_view properties_key);
// Kinesis: awsRegion, awsCredentials and clientConfigProperties.
Status check_kinesis_common(const YamlMap& spec);

}  // namespace statefun::emulator::module_yaml
