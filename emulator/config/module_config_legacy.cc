// module.yaml's legacy format: one document with `version: "3.0"` whose
// module.spec lists endpoints, ingresses and egresses. Each entry becomes the
// component of today's kind it stands for, so the families read it as usual.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <functional>
#include <map>

#include "emulator/config/module_config_internal.h"

namespace statefun::emulator::module_yaml {
namespace {

std::string legacy_kind(const std::string& kind) {
  static const std::map<std::string, std::string, std::less<>> kMapping = {
      {"http", std::string(kEndpointV1Kind)},
      {"io.statefun.kafka/ingress", std::string(kKafkaIngressKind)},
      {"io.statefun.kafka/egress", std::string(kKafkaEgressKind)},
      {"io.statefun.kinesis/ingress", std::string(kKinesisIngressKind)},
      {"io.statefun.kinesis/egress", std::string(kKinesisEgressKind)},
  };
  const auto found = kMapping.find(kind);
  return found == kMapping.end() ? kind : found->second;
}

Status check_legacy_version(const YamlMap& root) {
  // Read directly: get() reports a null `version:` (or one holding only a
  // comment) as absent, and it is present (is_legacy_file saw the key).
  // The module_yaml fuzz target found the empty optional dereferenced here.
  const YAML::Node version = root.node()["version"];
  if (!version.IsScalar() || scalar_type(version) != ScalarType::kString) {
    return root.fail("version", "must be a string, got " + describe(version) +
                                    " (write version: \"3.0\" with quotes)");
  }
  const std::string& text = version.Scalar();
  if (text == "1.0" || text == "2.0") {
    return root.fail("version", "format version " + in_quotes(text) +
                                    " is not supported; only format versions higher than or "
                                    "equal to 3.0 are");
  }
  if (text != "3.0") {
    return root.fail("version",
                     "unrecognized format version " + in_quotes(text) + "; expected \"3.0\"");
  }
  return {};
}

// One entry of module.spec.endpoints / ingresses / egresses. `wrapper` is the
// entry's single key; `kind_key` names the meta field holding its kind. With
// `id_in_meta`, the component's id is meta.id.
Result<Component> legacy_entry(const YamlItem& item, const YamlDocument& document,
                               std::string_view wrapper, std::string_view kind_key,
                               bool id_in_meta) {
  auto entry_map = item_map(item, document);
  if (!entry_map) return std::unexpected(entry_map.error());
  auto entry = entry_map->required_map(wrapper);
  if (!entry) return std::unexpected(entry.error());
  auto meta = entry->required_map("meta");
  if (!meta) return std::unexpected(meta.error());
  auto kind = meta->required_text(kind_key);
  if (!kind) return std::unexpected(kind.error());
  auto spec = entry->required_map("spec");
  if (!spec) return std::unexpected(spec.error());

  // Built in one go: assigning a YAML::Node would rewrite the node it shares.
  const YamlMap& id_holder = id_in_meta ? *meta : *spec;
  Component component{document, spec->node(), spec->path(), id_holder.node(), id_holder.path()};
  component.document.kind = legacy_kind(*kind);
  component.document.kind_mark = mark_of(meta->node()[std::string(kind_key)]);
  if (!is_known_kind(component.document.kind)) {
    return meta->fail(kind_key, "unknown component kind " + in_quotes(*kind) + "; expected http, " +
                                    "io.statefun.kafka/ingress, io.statefun.kafka/egress, " +
                                    "io.statefun.kinesis/ingress, io.statefun.kinesis/egress or " +
                                    "one of " + known_kinds_list());
  }
  if (id_in_meta) {
    if (auto id = meta->required_text("id"); !id) return std::unexpected(id.error());
  }
  return component;
}

}  // namespace

Result<std::vector<Component>> legacy_components(const YAML::Node& root_node,
                                                 const YamlDocument& document) {
  const YamlMap root(root_node, "", &document);
  if (auto version = check_legacy_version(root); !version) return std::unexpected(version.error());
  auto module = root.required_map("module");
  if (!module) return std::unexpected(module.error());
  auto meta = module->required_map("meta");
  if (!meta) return std::unexpected(meta.error());
  auto type = meta->required_text("type");
  if (!type) return std::unexpected(type.error());
  if (lowercase_ascii(*type) != "remote") {
    return meta->fail("type", "expected remote, got " + in_quotes(*type));
  }
  auto spec = module->required_map("spec");
  if (!spec) return std::unexpected(spec.error());

  struct Section {
    std::string_view list, wrapper, kind_key;
    bool id_in_meta;
  };
  // The runtime binds endpoints first, then ingresses, then egresses.
  constexpr std::array<Section, 3> kSections = {{{"endpoints", "endpoint", "kind", false},
                                                 {"ingresses", "ingress", "type", true},
                                                 {"egresses", "egress", "type", true}}};
  std::vector<Component> components;
  for (const Section& section : kSections) {
    auto items = spec->optional_list(section.list);
    if (!items) return std::unexpected(items.error());
    if (!*items) continue;
    for (const auto& item : **items) {
      auto component =
          legacy_entry(item, document, section.wrapper, section.kind_key, section.id_in_meta);
      if (!component) return std::unexpected(component.error());
      components.push_back(std::move(*component));
    }
  }
  return components;
}

bool is_legacy_file(const std::vector<YAML::Node>& documents) {
  const auto non_empty = std::ranges::count_if(
      documents, [](const YAML::Node& document) { return !document.IsNull(); });
  if (non_empty != 1) return false;
  const auto root = std::ranges::find_if(
      documents, [](const YAML::Node& document) { return !document.IsNull(); });
  return root->IsMap() && (*root)["version"].IsDefined();
}

}  // namespace statefun::emulator::module_yaml
