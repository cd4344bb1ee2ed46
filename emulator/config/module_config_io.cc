// What ingress and egress components share: the playground's port and fixed
// ids, Kafka and Kinesis ids, client
// property lists, and the AWS settings of both Kinesis kinds.
#include "emulator/config/module_config_internal.h"

namespace statefun::emulator::module_yaml {
namespace {

constexpr IntRange kPortRange{0, 65535};

Status check_aws_region(const YamlMap& spec) {
  auto found_region = spec.optional_map("awsRegion");
  if (!found_region) return std::unexpected(found_region.error());
  if (!*found_region) return {};
  const YamlMap& region = **found_region;
  auto type = region.required_choice("type", {"default", "specific", "custom-endpoint"});
  if (!type) return std::unexpected(type.error());
  if (*type == "specific") return region.require_texts({"id"});
  if (*type == "custom-endpoint") return region.require_texts({"endpoint", "id"});
  return {};
}

Status check_aws_credentials(const YamlMap& spec) {
  auto found_credentials = spec.optional_map("awsCredentials");
  if (!found_credentials) return std::unexpected(found_credentials.error());
  if (!*found_credentials) return {};
  const YamlMap& credentials = **found_credentials;
  auto type = credentials.required_choice("type", {"default", "basic", "profile"});
  if (!type) return std::unexpected(type.error());
  if (*type == "basic") return credentials.require_texts({"accessKeyId", "secretAccessKey"});
  if (*type == "profile") {
    if (auto profile = credentials.require_texts({"profileName"}); !profile) return profile;
    auto path = credentials.optional_text("profilePath");
    if (!path) return std::unexpected(path.error());
  }
  return {};
}

}  // namespace

Result<int> read_playground_port(const YamlMap& spec, ModuleBuild& build) {
  auto port = spec.optional_int("port", Typing::kCoerce, kPortRange);
  if (!port) return std::unexpected(port.error());
  if (*port) return static_cast<int>(**port);
  build.config.warnings.push_back(spec.document().label() + ": " + spec.field("port") +
                                  " is missing, so a random port would be chosen");
  return 0;
}

Status bind_playground_id(std::map<std::string, int>& ids, std::string_view id,
                          std::string_view direction, const YamlMap& spec) {
  const YamlDocument& document = spec.document();
  const auto [existing, inserted] = ids.emplace(std::string(id), document.number);
  if (inserted) return {};
  return document.fail("kind",
                       "only one playground " + std::string(direction) +
                           " is allowed: " + std::string(direction) + " " + std::string(id) +
                           " was already defined in document " + std::to_string(existing->second),
                       document.kind_mark);
}

Result<ExternalIoSpec> read_external_id(const ComponentFields& component,
                                        std::map<std::string, int>& ids,
                                        std::string_view direction) {
  const YamlMap& holder = component.id_holder;
  auto id = required_typename(holder, "id");
  if (!id) return std::unexpected(id.error());
  const std::string id_text = id->ns + "/" + id->name;
  const YamlDocument& document = holder.document();
  const auto [existing, inserted] = ids.emplace(id_text, document.number);
  if (!inserted) {
    return holder.fail("id", "an " + std::string(direction) + " with id " + id_text +
                                 " was already defined in document " +
                                 std::to_string(existing->second));
  }
  return ExternalIoSpec{document.number, document.kind, id_text, {}};
}

Result<std::map<std::string, std::string>> read_properties(const YamlMap& map,
                                                           std::string_view key) {
  std::map<std::string, std::string> properties;
  auto items = map.optional_list(key);
  if (!items) return std::unexpected(items.error());
  if (!*items) return properties;
  for (const YamlItem& item : **items) {
    const YAML::Node& node = item.node;
    if (!node.IsMap() || node.size() != 1 || !node.begin()->second.IsScalar()) {
      return fail_at(
          item, map.document(),
          "expected a single-key mapping such as \"- foo.config: bar\", got " + describe(node));
    }
    properties[node.begin()->first.Scalar()] = node.begin()->second.Scalar();
  }
  return properties;
}

Status require_field_or_property(const YamlMap& spec, std::string_view key,
                                 const std::map<std::string, std::string>& properties,
                                 const std::string& property, std::string_view properties_key) {
  auto text = spec.optional_text(key);
  if (!text) return std::unexpected(text.error());
  if (*text || properties.contains(property)) return {};
  return spec.fail(key, "missing required field (or set " + property + " in spec." +
                            std::string(properties_key) + ")");
}

Status check_kinesis_common(const YamlMap& spec) {
  if (auto status = check_aws_region(spec); !status) return status;
  if (auto status = check_aws_credentials(spec); !status) return status;
  auto properties = read_properties(spec, "clientConfigProperties");
  if (!properties) return std::unexpected(properties.error());
  return {};
}

}  // namespace statefun::emulator::module_yaml
