// module.yaml as a whole: its documents, the dispatch of each component to
// the reader of its family (module_config_internal.h lists the files), the
// type names and durations every family reads, and the public entry points
// of module_config.h.
#include "emulator/config/module_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "emulator/config/module_config_internal.h"
#include "emulator/config/yaml_fields.h"
#include "runtime/core/time_text.h"

namespace statefun::emulator {

namespace module_yaml {

using std::chrono::milliseconds;

namespace {

constexpr std::array kKnownKinds = {
    kEndpointV2Kind,   kEndpointV1Kind,  kPlaygroundIngressKind, kPlaygroundEgressKind,
    kKafkaIngressKind, kKafkaEgressKind, kKinesisIngressKind,    kKinesisEgressKind};

constexpr std::string_view kComponentShape = "a mapping with the required fields kind and spec";

// ---------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------

// Turns one YAML document into a component; nullopt for an empty document.
Result<std::optional<Component>> component_from_document(const YAML::Node& root,
                                                         const std::string& path, int index,
                                                         bool file_has_several_documents) {
  YamlDocument document{path, index};
  if (root.IsNull()) return std::nullopt;
  if (!root.IsMap()) {
    return document.fail(
        "", "expected a component (" + std::string(kComponentShape) + "), got " + describe(root),
        mark_of(root));
  }
  const YamlMap top(root, "", &document);
  if (file_has_several_documents && top.has("version")) {
    return top.fail("version",
                    "a legacy file with a version field must hold exactly one YAML document");
  }
  auto kind = top.required_text("kind");
  if (!kind) {
    return make_error(ErrorCode::kInvalidArgument, kind.error().message + " (a component is " +
                                                       std::string(kComponentShape) + ")");
  }
  document.kind = *kind;
  document.kind_mark = mark_of(root["kind"]);
  if (!top.has("spec")) {
    return top.fail("spec", top.missing_field("spec") + " (a component is " +
                                std::string(kComponentShape) + ")");
  }
  if (!is_known_kind(document.kind)) {
    return top.fail("kind", "unknown component kind; expected one of " + known_kinds_list());
  }
  const YAML::Node spec = root["spec"];
  if (!spec.IsMap()) return top.fail("spec", "expected a mapping, got " + describe(spec));
  return Component{document, spec, "spec", spec, "spec", root};
}

Result<std::vector<Component>> collect_components(const std::vector<YAML::Node>& documents,
                                                  const std::string& path, bool legacy) {
  if (legacy) {
    const auto root = std::ranges::find_if(
        documents, [](const YAML::Node& document) { return !document.IsNull(); });
    const int index = static_cast<int>(root - documents.begin()) + 1;
    return legacy_components(*root, YamlDocument{path, index});
  }
  std::vector<Component> components;
  for (std::size_t i = 0; i < documents.size(); ++i) {
    auto component =
        component_from_document(documents[i], path, static_cast<int>(i) + 1, documents.size() > 1);
    if (!component) return std::unexpected(component.error());
    if (*component) components.push_back(std::move(**component));
  }
  return components;
}

// ---------------------------------------------------------------------------
// Kinds dispatch
// ---------------------------------------------------------------------------

// The keys each kind's spec has in StateFun 3.3 (a transport's keys are the
// client's properties: open-ended, not checked).
std::vector<std::string_view> known_spec_keys(std::string_view kind) {
  if (kind == kEndpointV2Kind)
    return {"functions", "urlPathTemplate", "maxNumBatchRequests", "transport"};
  if (kind == kEndpointV1Kind) {
    return {"functions", "urlPathTemplate", "maxNumBatchRequests", "timeouts", "transport"};
  }
  if (kind == kPlaygroundIngressKind) return {"port"};
  if (kind == kPlaygroundEgressKind) return {"port", "topics"};
  if (kind == kKafkaIngressKind) {
    return {"id",
            "address",
            "consumerGroupId",
            "topics",
            "autoOffsetResetPosition",
            "startupPosition",
            "properties"};
  }
  if (kind == kKafkaEgressKind) return {"id", "address", "deliverySemantic", "properties"};
  if (kind == kKinesisIngressKind) {
    return {"id",
            "awsRegion",
            "awsCredentials",
            "startupPosition",
            "streams",
            "clientConfigProperties"};
  }
  if (kind == kKinesisEgressKind) {
    return {"id", "awsRegion", "awsCredentials", "maxOutstandingRecords", "clientConfigProperties"};
  }
  return {};
}

// The real engine ignores keys it does not know, so a misspelt optional key
// silently means its default there: warn, do not fail.
void warn_about_unknown_keys(const Component& component, ModuleBuild& build) {
  constexpr std::string_view kWhy = "Flink StateFun ignores it too";
  auto& warnings = build.config.warnings;
  if (component.root.IsDefined() && !component.root.IsNull()) {
    auto top = YamlMap(component.root, "", &component.document)
                   .unknown_key_warnings({"kind", "spec"}, kWhy);
    warnings.insert(warnings.end(), top.begin(), top.end());
  }
  auto known = known_spec_keys(component.document.kind);
  if (known.empty()) return;
  auto spec = YamlMap(component.spec, component.spec_path, &component.document)
                  .unknown_key_warnings(known, kWhy);
  warnings.insert(warnings.end(), spec.begin(), spec.end());
}

Status add_component(const Component& component, ModuleBuild& build) {
  warn_about_unknown_keys(component, build);
  const ComponentFields fields{
      YamlMap(component.spec, component.spec_path, &component.document),
      YamlMap(component.id_holder, component.id_holder_path, &component.document)};
  const std::string& kind = component.document.kind;
  if (kind == kEndpointV2Kind) return add_http_endpoint(fields, /*is_v1=*/false, build);
  if (kind == kEndpointV1Kind) return add_http_endpoint(fields, /*is_v1=*/true, build);
  if (kind == kPlaygroundIngressKind) return add_playground_ingress(fields, build);
  if (kind == kPlaygroundEgressKind) return add_playground_egress(fields, build);
  if (kind == kKafkaIngressKind) return add_kafka_ingress(fields, build);
  if (kind == kKafkaEgressKind) return add_kafka_egress(fields, build);
  if (kind == kKinesisIngressKind) return add_kinesis_ingress(fields, build);
  if (kind == kKinesisEgressKind) return add_kinesis_egress(fields, build);
  return component.document.fail("kind",
                                 "unknown component kind; expected one of " + known_kinds_list(),
                                 component.document.kind_mark);
}

// What holds for the module as a whole, once every component is in.
Result<ModuleConfig> finish(ModuleBuild build) {
  ModuleConfig& config = build.config;
  if (config.endpoints.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      config.path + ": no function endpoint: add a component of kind " +
                          std::string(kEndpointV2Kind) + " (the runtime refuses to start " +
                          "without one)");
  }
  if (build.ingress_ids.empty()) {
    config.warnings.push_back(
        config.path +
        ": no ingress (playground, Kafka or Kinesis): the real runtime refuses to start "
        "without one; statefun dev still accepts messages from `statefun send`");
  }
  return std::move(config);
}

}  // namespace

bool is_known_kind(std::string_view kind) {
  return std::ranges::find(kKnownKinds, kind) != kKnownKinds.end();
}

std::string known_kinds_list() {
  std::string list;
  for (std::string_view kind : kKnownKinds) list += (list.empty() ? "" : ", ") + std::string(kind);
  return list;
}

// ---------------------------------------------------------------------------
// Type names
// ---------------------------------------------------------------------------

std::optional<TypeNameParts> split_runtime_typename(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = text.find('/', start);
    parts.push_back(text.substr(start, slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  while (!parts.empty() && parts.back().empty()) parts.pop_back();
  if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) return std::nullopt;
  return TypeNameParts{std::string(parts[0]), std::string(parts[1])};
}

Result<TypeNameParts> required_typename(const YamlMap& map, std::string_view key) {
  auto text = map.required_text(key);
  if (!text) return std::unexpected(text.error());
  auto parts = split_runtime_typename(*text);
  if (!parts) {
    return map.fail(
        key, "expected a type name " + std::string(kTypenameShape) + ", got " + in_quotes(*text));
  }
  return *parts;
}

// ---------------------------------------------------------------------------
// Reading durations (Flink's form of the time grammar, runtime/core/time_text.h)
// ---------------------------------------------------------------------------

Result<std::optional<milliseconds>> optional_duration(const YamlMap& map, std::string_view key) {
  const auto value = map.get(key);
  if (!value) return std::nullopt;
  if (!value->IsScalar()) {
    return map.fail(key, "expected a duration such as \"10 sec\", got " + describe(*value));
  }
  auto duration = parse_duration(value->Scalar(), kFlinkDurations);
  if (!duration) return map.fail(key, duration.error().message);
  return *duration;
}

}  // namespace module_yaml

std::string HttpEndpointSpec::url_for(std::string_view function_name) const {
  constexpr std::string_view kPlaceholder = "{function.name}";
  std::string url;
  std::string_view rest = url_path_template;
  for (std::size_t found = rest.find(kPlaceholder); found != std::string_view::npos;
       found = rest.find(kPlaceholder)) {
    url += rest.substr(0, found);
    url += function_name;
    rest.remove_prefix(found + kPlaceholder.size());
  }
  url += rest;
  return url;
}

const HttpEndpointSpec* ModuleConfig::endpoint_for(std::string_view ns,
                                                   std::string_view name) const {
  const HttpEndpointSpec* wildcard = nullptr;
  for (const HttpEndpointSpec& endpoint : endpoints) {
    if (endpoint.function_namespace != ns) continue;
    if (!endpoint.function_name) {
      wildcard = &endpoint;
    } else if (*endpoint.function_name == name) {
      return &endpoint;
    }
  }
  return wildcard;
}

Result<ModuleConfig> parse_module_yaml(std::string_view text, const std::string& path) {
  using namespace module_yaml;
  try {
    auto documents = load_yaml_documents(text, path);
    if (!documents) return std::unexpected(documents.error());
    const bool legacy = is_legacy_file(*documents);
    auto components = collect_components(*documents, path, legacy);
    if (!components) return std::unexpected(components.error());

    ModuleBuild build;
    build.config.path = path;
    for (const Component& component : *components) {
      if (auto added = add_component(component, build); !added) {
        return std::unexpected(added.error());
      }
    }
    auto config = finish(std::move(build));
    if (config) config->legacy_format = legacy;
    return config;
  } catch (const YAML::Exception& error) {
    // Node accessors can still throw on shapes the readers did not expect.
    return std::unexpected(yaml_exception_error(path, error));
  }
}

Result<ModuleConfig> load_module_yaml(const std::string& path) {
  std::error_code status_error;
  const auto status = std::filesystem::status(path, status_error);
  if (status.type() == std::filesystem::file_type::not_found) {
    return make_error(ErrorCode::kNotFound, path + ": module file not found");
  }
  if (status_error) {
    return make_error(ErrorCode::kIo,
                      path + ": cannot read module file: " + status_error.message());
  }
  if (std::filesystem::is_directory(status)) {
    return make_error(ErrorCode::kIo, path + ": cannot read module file: it is a directory");
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return make_error(ErrorCode::kIo, path + ": cannot read module file: " + std::strerror(errno));
  }
  std::ostringstream contents;
  contents << file.rdbuf();
  if (file.bad()) {
    return make_error(ErrorCode::kIo, path + ": cannot read module file: read failed");
  }
  return parse_module_yaml(contents.str(), path);
}

}  // namespace statefun::emulator
