#include "emulator/config/module_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <expected>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <regex>
#include <span>
#include <sstream>
#include <utility>

#include "runtime/core/time_text.h"

namespace statefun::emulator {
namespace {

using std::chrono::milliseconds;
using Status = Result<void>;

constexpr std::string_view kEndpointV2Kind = "io.statefun.endpoints.v2/http";
constexpr std::string_view kEndpointV1Kind = "io.statefun.endpoints.v1/http";
constexpr std::string_view kPlaygroundIngressKind = "io.statefun.playground.v1/ingress";
constexpr std::string_view kPlaygroundEgressKind = "io.statefun.playground.v1/egress";
constexpr std::string_view kKafkaIngressKind = "io.statefun.kafka.v1/ingress";
constexpr std::string_view kKafkaEgressKind = "io.statefun.kafka.v1/egress";
constexpr std::string_view kKinesisIngressKind = "io.statefun.kinesis.v1/ingress";
constexpr std::string_view kKinesisEgressKind = "io.statefun.kinesis.v1/egress";

constexpr std::string_view kAsyncTransport = "io.statefun.transports.v1/async";
constexpr std::string_view kOkHttpTransport = "io.statefun.transports.v1/okhttp";

// The playground image binds its I/O under fixed ids, which is why a module
// can hold at most one of each.
constexpr std::string_view kPlaygroundIngressId = "io.statefun.playground/ingress";
constexpr std::string_view kPlaygroundEgressId = "io.statefun.playground/egress";

constexpr std::string_view kTypenameShape = "<namespace>/<name>";
constexpr std::string_view kFunctionsShape = "<namespace>/<name> or <namespace>/*";

// ---------------------------------------------------------------------------
// Describing YAML values in messages
// ---------------------------------------------------------------------------

enum class ScalarType { kNull, kBool, kInteger, kFloat, kString };

bool is_yaml_integer(std::string_view text) {
  static const std::regex pattern("[-+]?[0-9]+|0x[0-9a-fA-F]+|0o[0-7]+");
  return std::regex_match(text.begin(), text.end(), pattern);
}

bool is_yaml_float(std::string_view text) {
  static const std::regex pattern(
      R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))");
  return std::regex_match(text.begin(), text.end(), pattern);
}

// What a scalar means under the YAML core schema. yaml-cpp keeps every scalar
// as text, so unquoted `3.0` and quoted "3.0" differ only in their tag; the v1
// binder and the legacy `version` check care about that difference.
ScalarType scalar_type(const YAML::Node& node) {
  if (node.IsNull()) return ScalarType::kNull;
  const std::string& tag = node.Tag();
  if (tag == "tag:yaml.org,2002:int") return ScalarType::kInteger;
  if (tag == "tag:yaml.org,2002:float") return ScalarType::kFloat;
  if (tag == "tag:yaml.org,2002:bool") return ScalarType::kBool;
  if (tag != "?") return ScalarType::kString;  // quoted, block or explicitly tagged
  const std::string& text = node.Scalar();
  if (text == "true" || text == "True" || text == "TRUE" || text == "false" || text == "False" ||
      text == "FALSE") {
    return ScalarType::kBool;
  }
  if (is_yaml_integer(text)) return ScalarType::kInteger;
  if (is_yaml_float(text)) return ScalarType::kFloat;
  return ScalarType::kString;
}

// Quotes user text for a one-line message.
std::string in_quotes(std::string_view text) {
  constexpr std::size_t kMaxShown = 80;
  std::string out = "\"";
  for (char c : text.substr(0, kMaxShown)) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  if (text.size() > kMaxShown) out += "...";
  return out + "\"";
}

std::string describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "null";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  switch (scalar_type(node)) {
    case ScalarType::kBool:
      return "the boolean " + node.Scalar();
    case ScalarType::kInteger:
    case ScalarType::kFloat:
      return "the number " + node.Scalar();
    default:
      return in_quotes(node.Scalar());
  }
}

std::string lowercase_ascii(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](unsigned char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c);
  });
  return out;
}

// ---------------------------------------------------------------------------
// Type names and function patterns
// ---------------------------------------------------------------------------

struct TypeNameParts {
  std::string ns;
  std::string name;
};

// TypeName.parseFrom uses Java's split("/"), which drops trailing empty
// parts, so "a/b/" is accepted while "a//b" and "a/b/c" are not.
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

struct FunctionPattern {
  std::string ns;
  std::optional<std::string> name;  // nullopt: every type in the namespace

  std::string binding_key() const { return ns + "/" + name.value_or("*"); }
};

std::expected<FunctionPattern, std::string> parse_function_pattern(std::string_view text) {
  const auto parts = split_runtime_typename(text);
  if (!parts) {
    return std::unexpected("expected " + std::string(kFunctionsShape) + ", got " + in_quotes(text));
  }
  if (parts->ns.find('*') != std::string::npos) {
    return std::unexpected(in_quotes(text) + ": the namespace cannot contain '*'; expected " +
                           std::string(kFunctionsShape));
  }
  if (parts->name == "*") return FunctionPattern{parts->ns, std::nullopt};
  if (parts->name.find('*') != std::string::npos) {
    return std::unexpected(in_quotes(text) + ": a wildcard name must be exactly '*'; expected " +
                           std::string(kFunctionsShape));
  }
  return FunctionPattern{parts->ns, parts->name};
}

// ---------------------------------------------------------------------------
// URLs
// ---------------------------------------------------------------------------

// Returns why `url` cannot serve as an endpoint URL, or nullopt if it can.
std::optional<std::string> url_problem(std::string_view url, TransportKind transport) {
  const std::string example = " such as http://localhost:8000/statefun";
  if (url.find_first_of(" \t\r\n") != std::string_view::npos) {
    return "expected an absolute URL" + example + ", got " + in_quotes(url) +
           " (contains whitespace)";
  }
  const std::size_t separator = url.find("://");
  if (separator == std::string_view::npos || separator == 0) {
    return "expected an absolute URL" + example + ", got " + in_quotes(url);
  }
  const std::string scheme = lowercase_ascii(url.substr(0, separator));
  const std::string_view rest = url.substr(separator + 3);
  if (scheme == "http" || scheme == "https") {
    if (rest.empty() || rest.find_first_of("/?#") == 0) {
      return "expected an absolute URL" + example + ", got " + in_quotes(url) + " (no host)";
    }
    return std::nullopt;
  }
  if (scheme == "http+unix" || scheme == "https+unix") {
    if (transport != TransportKind::kOkHttp) {
      return in_quotes(url) + ": Unix socket URLs need transport type " +
             std::string(kOkHttpTransport) + " (the async transport cannot use them)";
    }
    // The runtime takes the socket file from the first path segment ending in .sock.
    if (rest.find(".sock") == std::string_view::npos) {
      return in_quotes(url) + ": expected a socket file path ending in .sock, such as " + scheme +
             ":///tmp/functions.sock/statefun";
    }
    return std::nullopt;
  }
  return "unsupported URL scheme " + in_quotes(scheme) + " in " + in_quotes(url) +
         "; expected http, https, http+unix or https+unix";
}

// ---------------------------------------------------------------------------
// Locations and field readers
// ---------------------------------------------------------------------------

// Where a document sits, so every message names the file, document and kind.
struct DocumentRef {
  std::string_view path;
  int document = 0;
  std::string kind;  // empty until the document's kind is known

  std::string label() const {
    std::string text = std::string(path) + ": document " + std::to_string(document);
    if (!kind.empty()) text += " (" + kind + ")";
    return text;
  }
  std::unexpected<Error> fail(std::string_view field, std::string_view what) const {
    return make_error(ErrorCode::kInvalidArgument,
                      label() + ": " + std::string(field) + ": " + std::string(what));
  }
};

// How strictly a field's YAML type is checked. The v2 components go through
// Jackson data binding, which coerces scalars (a number into a string field,
// "10" into an int field); the v1 binder reads JsonNodes and checks types.
enum class Typing { kCoerce, kStrict };

struct IntRange {
  std::int64_t min = std::numeric_limits<std::int32_t>::min();
  std::int64_t max = std::numeric_limits<std::int32_t>::max();
};

std::optional<std::int64_t> parse_integer_text(std::string_view text) {
  int base = 10;
  bool negative = false;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  } else if (text.starts_with("0x")) {
    base = 16;
    text.remove_prefix(2);
  } else if (text.starts_with("0o")) {
    base = 8;
    text.remove_prefix(2);
  }
  if (text.empty()) return std::nullopt;
  std::uint64_t magnitude = 0;
  const auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), magnitude, base);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (magnitude > kMax + (negative ? 1 : 0)) return std::nullopt;
  if (negative) return static_cast<std::int64_t>(0 - magnitude);
  return static_cast<std::int64_t>(magnitude);
}

using Items = std::vector<std::pair<std::string, YAML::Node>>;

// A mapping node plus its dotted path from the document root (e.g.
// "spec.transport"), so every reader can name the field it complains about.
class MapView {
 public:
  MapView(YAML::Node node, std::string path, const DocumentRef* document)
      : node_(std::move(node)), path_(std::move(path)), document_(document) {}

  const DocumentRef& document() const { return *document_; }
  const YAML::Node& node() const { return node_; }

  std::string field(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }
  std::unexpected<Error> fail(std::string_view key, std::string_view what) const {
    return document_->fail(field(key), what);
  }

  // A missing key and an explicit null both read as absent.
  std::optional<YAML::Node> get(std::string_view key) const {
    const YAML::Node value = node_[std::string(key)];
    if (!value.IsDefined() || value.IsNull()) return std::nullopt;
    return value;
  }
  bool has(std::string_view key) const { return get(key).has_value(); }

  Result<std::optional<std::string>> optional_text(std::string_view key,
                                                   Typing typing = Typing::kCoerce) const {
    const auto value = get(key);
    if (!value) return std::nullopt;
    if (!value->IsScalar() ||
        (typing == Typing::kStrict && scalar_type(*value) != ScalarType::kString)) {
      return fail(key, "expected a string, got " + describe(*value));
    }
    return value->Scalar();
  }

  Result<std::string> required_text(std::string_view key, Typing typing = Typing::kCoerce) const {
    auto text = optional_text(key, typing);
    if (!text) return std::unexpected(text.error());
    if (!*text) return fail(key, "missing required field");
    return std::move(**text);
  }

  Result<TypeNameParts> required_typename(std::string_view key) const {
    auto text = required_text(key);
    if (!text) return std::unexpected(text.error());
    auto parts = split_runtime_typename(*text);
    if (!parts) {
      return fail(
          key, "expected a type name " + std::string(kTypenameShape) + ", got " + in_quotes(*text));
    }
    return *parts;
  }

  Result<std::optional<std::int64_t>> optional_int(std::string_view key,
                                                   Typing typing = Typing::kCoerce,
                                                   IntRange range = {}) const {
    const auto value = get(key);
    if (!value) return std::nullopt;
    std::optional<std::int64_t> number;
    if (value->IsScalar() &&
        (typing == Typing::kCoerce || scalar_type(*value) == ScalarType::kInteger)) {
      number = parse_integer_text(value->Scalar());
    }
    if (!number) return fail(key, "expected an integer, got " + describe(*value));
    if (*number < range.min || *number > range.max) {
      return fail(key, "expected an integer from " + std::to_string(range.min) + " to " +
                           std::to_string(range.max) + ", got " + value->Scalar());
    }
    return number;
  }

  Result<std::optional<milliseconds>> optional_duration(std::string_view key) const {
    const auto value = get(key);
    if (!value) return std::nullopt;
    if (!value->IsScalar()) {
      return fail(key, "expected a duration such as \"10 sec\", got " + describe(*value));
    }
    auto duration = parse_duration(value->Scalar(), kFlinkDurations);
    if (!duration) return fail(key, duration.error().message);
    return *duration;
  }

  Result<std::optional<MapView>> optional_map(std::string_view key) const {
    const auto value = get(key);
    if (!value) return std::nullopt;
    if (!value->IsMap()) return fail(key, "expected a mapping, got " + describe(*value));
    return MapView(*value, field(key), document_);
  }

  Result<MapView> required_map(std::string_view key) const {
    auto map = optional_map(key);
    if (!map) return std::unexpected(map.error());
    if (!*map) return fail(key, "missing required field");
    return std::move(**map);
  }

  // The elements of a list field, each with its own path ("spec.topics[0]").
  Result<std::optional<Items>> optional_list(std::string_view key) const {
    const auto value = get(key);
    if (!value) return std::nullopt;
    if (!value->IsSequence()) return fail(key, "expected a list, got " + describe(*value));
    Items items;
    for (std::size_t i = 0; i < value->size(); ++i) {
      items.emplace_back(field(key) + "[" + std::to_string(i) + "]", (*value)[i]);
    }
    return items;
  }

  Result<Items> required_non_empty_list(std::string_view key) const {
    auto items = optional_list(key);
    if (!items) return std::unexpected(items.error());
    if (!*items) return fail(key, "missing required field");
    if ((*items)->empty()) return fail(key, "expected at least one entry, got an empty list");
    return std::move(**items);
  }

 private:
  YAML::Node node_;
  std::string path_;
  const DocumentRef* document_;
};

// A list element that must be a mapping.
Result<MapView> element_map(const std::pair<std::string, YAML::Node>& item,
                            const DocumentRef& document) {
  if (!item.second.IsMap()) {
    return document.fail(item.first, "expected a mapping, got " + describe(item.second));
  }
  return MapView(item.second, item.first, &document);
}

// One of a fixed set of words (compared case-insensitively when asked).
Result<std::optional<std::string>> optional_choice(const MapView& map, std::string_view key,
                                                   std::initializer_list<std::string_view> choices,
                                                   bool ignore_case = false) {
  auto text = map.optional_text(key);
  if (!text || !*text) return text;
  const std::string value = ignore_case ? lowercase_ascii(**text) : **text;
  if (std::ranges::find(choices, value) != choices.end()) return value;
  std::string expected;
  for (std::string_view choice : choices) {
    expected += (expected.empty() ? "" : ", ") + std::string(choice);
  }
  return map.fail(key, "expected one of " + expected + ", got " + in_quotes(**text));
}

Result<std::string> required_choice(const MapView& map, std::string_view key,
                                    std::initializer_list<std::string_view> choices) {
  auto choice = optional_choice(map, key, choices);
  if (!choice) return std::unexpected(choice.error());
  if (!*choice) return map.fail(key, "missing required field");
  return std::move(**choice);
}

// Property lists are YAML lists of single-key mappings: `- foo.config: bar`.
Result<std::map<std::string, std::string>> read_properties(const MapView& map,
                                                           std::string_view key) {
  std::map<std::string, std::string> properties;
  auto items = map.optional_list(key);
  if (!items) return std::unexpected(items.error());
  if (!*items) return properties;
  for (const auto& [path, node] : **items) {
    if (!node.IsMap() || node.size() != 1 || !node.begin()->second.IsScalar()) {
      return map.document().fail(
          path,
          "expected a single-key mapping such as \"- foo.config: bar\", got " + describe(node));
    }
    properties[node.begin()->first.Scalar()] = node.begin()->second.Scalar();
  }
  return properties;
}

Result<std::vector<std::string>> read_targets(const MapView& route) {
  auto items = route.optional_list("targets");
  if (!items) return std::unexpected(items.error());
  if (!*items) return route.fail("targets", "missing required field");
  std::vector<std::string> targets;
  for (const auto& [path, node] : **items) {
    if (!node.IsScalar() || !split_runtime_typename(node.Scalar())) {
      return route.document().fail(path, "expected a function type " + std::string(kTypenameShape) +
                                             ", got " + describe(node));
    }
    targets.push_back(node.Scalar());
  }
  return targets;
}

// Kafka topics and Kinesis streams share one shape: source, valueType, targets.
Result<std::vector<ExternalIoSpec::Route>> read_routes(const MapView& spec, std::string_view key,
                                                       std::string_view source_key) {
  auto items = spec.required_non_empty_list(key);
  if (!items) return std::unexpected(items.error());
  std::vector<ExternalIoSpec::Route> routes;
  for (const auto& item : *items) {
    auto route = element_map(item, spec.document());
    if (!route) return std::unexpected(route.error());
    auto source = route->required_text(source_key);
    if (!source) return std::unexpected(source.error());
    auto value_type = route->required_text("valueType");
    if (!value_type) return std::unexpected(value_type.error());
    auto targets = read_targets(*route);
    if (!targets) return std::unexpected(targets.error());
    routes.push_back({std::move(*source), std::move(*value_type), std::move(*targets)});
  }
  return routes;
}

Status check_date(const MapView& map, std::string_view key) {
  auto date = map.required_text(key);
  if (!date) return std::unexpected(date.error());
  static const std::regex pattern(R"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} [+-]\d{4})");
  if (!std::regex_match(*date, pattern)) {
    return map.fail(key,
                    "expected a date in the form yyyy-MM-dd HH:mm:ss.SSS Z, e.g. "
                    "\"2020-02-01 04:15:00.000 +0000\", got " +
                        in_quotes(*date));
  }
  return {};
}

// Kafka's `- <topic>/<partition>: <offset>` entries.
bool is_offset_entry(const YAML::Node& node) {
  if (!node.IsMap() || node.size() != 1 || !node.begin()->second.IsScalar()) return false;
  const std::string& key = node.begin()->first.Scalar();
  const std::size_t slash = key.rfind('/');
  return slash != std::string::npos && slash > 0 &&
         parse_integer_text(std::string_view(key).substr(slash + 1)).has_value() &&
         parse_integer_text(node.begin()->second.Scalar()).has_value();
}

Status check_specific_offsets(const MapView& position) {
  auto items = position.required_non_empty_list("offsets");
  if (!items) return std::unexpected(items.error());
  for (const auto& [path, node] : *items) {
    if (!is_offset_entry(node)) {
      return position.document().fail(
          path, "expected \"- <topic>/<partition>: <offset>\", got " + describe(node));
    }
  }
  return {};
}

Status check_kafka_startup_position(const MapView& spec) {
  auto found_position = spec.optional_map("startupPosition");
  if (!found_position) return std::unexpected(found_position.error());
  if (!*found_position) return {};
  const MapView& position = **found_position;
  auto type = required_choice(position, "type",
                              {"group-offsets", "earliest", "latest", "specific-offsets", "date"});
  if (!type) return std::unexpected(type.error());
  if (*type == "specific-offsets") return check_specific_offsets(position);
  if (*type == "date") return check_date(position, "date");
  return {};
}

Status check_kinesis_startup_position(const MapView& spec) {
  auto found_position = spec.optional_map("startupPosition");
  if (!found_position) return std::unexpected(found_position.error());
  if (!*found_position) return {};
  const MapView& position = **found_position;
  auto type = required_choice(position, "type", {"earliest", "latest", "date"});
  if (!type) return std::unexpected(type.error());
  if (*type == "date") return check_date(position, "date");
  return {};
}

Status require_fields(const MapView& map, std::initializer_list<std::string_view> keys) {
  for (std::string_view key : keys) {
    auto text = map.required_text(key);
    if (!text) return std::unexpected(text.error());
  }
  return {};
}

Status check_aws_region(const MapView& spec) {
  auto found_region = spec.optional_map("awsRegion");
  if (!found_region) return std::unexpected(found_region.error());
  if (!*found_region) return {};
  const MapView& region = **found_region;
  auto type = required_choice(region, "type", {"default", "specific", "custom-endpoint"});
  if (!type) return std::unexpected(type.error());
  if (*type == "specific") return require_fields(region, {"id"});
  if (*type == "custom-endpoint") return require_fields(region, {"endpoint", "id"});
  return {};
}

Status check_aws_credentials(const MapView& spec) {
  auto found_credentials = spec.optional_map("awsCredentials");
  if (!found_credentials) return std::unexpected(found_credentials.error());
  if (!*found_credentials) return {};
  const MapView& credentials = **found_credentials;
  auto type = required_choice(credentials, "type", {"default", "basic", "profile"});
  if (!type) return std::unexpected(type.error());
  if (*type == "basic") return require_fields(credentials, {"accessKeyId", "secretAccessKey"});
  if (*type == "profile") {
    if (auto profile = require_fields(credentials, {"profileName"}); !profile) return profile;
    auto path = credentials.optional_text("profilePath");
    if (!path) return std::unexpected(path.error());
  }
  return {};
}

// Kafka settings that may come either from a dedicated field or from the raw
// client properties.
Status require_field_or_property(const MapView& spec, std::string_view key,
                                 const std::map<std::string, std::string>& properties,
                                 const std::string& property, std::string_view properties_key) {
  auto text = spec.optional_text(key);
  if (!text) return std::unexpected(text.error());
  if (*text || properties.contains(property)) return {};
  return spec.fail(key, "missing required field (or set " + property + " in spec." +
                            std::string(properties_key) + ")");
}

// ---------------------------------------------------------------------------
// Components
// ---------------------------------------------------------------------------

// One `kind` + `spec` pair, from a document or from a legacy entry.
struct Component {
  DocumentRef document;  // carries the (mapped) kind
  YAML::Node spec;
  std::string spec_path;  // "spec", or the legacy entry's path
};

constexpr std::array kKnownKinds = {
    kEndpointV2Kind,   kEndpointV1Kind,  kPlaygroundIngressKind, kPlaygroundEgressKind,
    kKafkaIngressKind, kKafkaEgressKind, kKinesisIngressKind,    kKinesisEgressKind};

std::string known_kinds_list() {
  std::string list;
  for (std::string_view kind : kKnownKinds) list += (list.empty() ? "" : ", ") + std::string(kind);
  return list;
}

constexpr std::string_view kComponentShape = "a mapping with the required fields kind and spec";

// Turns one YAML document into a component; nullopt for an empty document.
Result<std::optional<Component>> component_from_document(const YAML::Node& root,
                                                         std::string_view path, int index,
                                                         bool file_has_several_documents) {
  DocumentRef document{path, index, ""};
  if (root.IsNull()) return std::nullopt;
  if (!root.IsMap()) {
    return make_error(ErrorCode::kInvalidArgument, document.label() + ": expected a component (" +
                                                       std::string(kComponentShape) + "), got " +
                                                       describe(root));
  }
  const MapView top(root, "", &document);
  if (file_has_several_documents && top.has("version")) {
    return document.fail("version",
                         "a legacy file with a version field must hold exactly one "
                         "YAML document");
  }
  auto kind = top.required_text("kind");
  if (!kind) {
    return make_error(ErrorCode::kInvalidArgument, kind.error().message + " (a component is " +
                                                       std::string(kComponentShape) + ")");
  }
  document.kind = *kind;
  if (!top.has("spec")) {
    return document.fail(
        "spec", "missing required field (a component is " + std::string(kComponentShape) + ")");
  }
  if (std::ranges::find(kKnownKinds, document.kind) == kKnownKinds.end()) {
    return document.fail("kind", "unknown component kind; expected one of " + known_kinds_list());
  }
  const YAML::Node spec = root["spec"];
  if (!spec.IsMap()) return document.fail("spec", "expected a mapping, got " + describe(spec));
  return Component{document, spec, "spec"};
}

// ---------------------------------------------------------------------------
// Legacy `version: "3.0"` files
// ---------------------------------------------------------------------------

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

Status check_legacy_version(const MapView& root) {
  const YAML::Node version = *root.get("version");
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
// entry's single key; `kind_key` names the meta field holding its kind.
Result<Component> legacy_entry(const std::pair<std::string, YAML::Node>& item,
                               const DocumentRef& document, std::string_view wrapper,
                               std::string_view kind_key, bool copy_id) {
  auto entry_map = element_map(item, document);
  if (!entry_map) return std::unexpected(entry_map.error());
  auto entry = entry_map->required_map(wrapper);
  if (!entry) return std::unexpected(entry.error());
  auto meta = entry->required_map("meta");
  if (!meta) return std::unexpected(meta.error());
  auto kind = meta->required_text(kind_key);
  if (!kind) return std::unexpected(kind.error());
  auto spec = entry->required_map("spec");
  if (!spec) return std::unexpected(spec.error());

  Component component{document, YAML::Clone(spec->node()), entry->field("spec")};
  component.document.kind = legacy_kind(*kind);
  if (std::ranges::find(kKnownKinds, component.document.kind) == kKnownKinds.end()) {
    return meta->fail(kind_key, "unknown component kind " + in_quotes(*kind) + "; expected http, " +
                                    "io.statefun.kafka/ingress, io.statefun.kafka/egress, " +
                                    "io.statefun.kinesis/ingress, io.statefun.kinesis/egress or " +
                                    "one of " + known_kinds_list());
  }
  if (copy_id) {
    auto id = meta->required_text("id");
    if (!id) return std::unexpected(id.error());
    component.spec["id"] = *id;
  }
  return component;
}

Result<std::vector<Component>> legacy_components(const YAML::Node& root_node,
                                                 const DocumentRef& document) {
  const MapView root(root_node, "", &document);
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
    bool copy_id;
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
          legacy_entry(item, document, section.wrapper, section.kind_key, section.copy_id);
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

// ---------------------------------------------------------------------------
// Building the module
// ---------------------------------------------------------------------------

constexpr IntRange kPortRange{0, 65535};

class ModuleBuilder {
 public:
  explicit ModuleBuilder(std::string path) { config_.path = std::move(path); }

  Status add(const Component& component) {
    const MapView spec(component.spec, component.spec_path, &component.document);
    const std::string& kind = component.document.kind;
    if (kind == kEndpointV2Kind) return add_endpoint(spec, /*is_v1=*/false);
    if (kind == kEndpointV1Kind) return add_endpoint(spec, /*is_v1=*/true);
    if (kind == kPlaygroundIngressKind) return add_playground_ingress(spec);
    if (kind == kPlaygroundEgressKind) return add_playground_egress(spec);
    if (kind == kKafkaIngressKind) return add_kafka_ingress(spec);
    if (kind == kKafkaEgressKind) return add_kafka_egress(spec);
    if (kind == kKinesisIngressKind) return add_kinesis_ingress(spec);
    if (kind == kKinesisEgressKind) return add_kinesis_egress(spec);
    return component.document.fail("kind",
                                   "unknown component kind; expected one of " + known_kinds_list());
  }

  Result<ModuleConfig> finish() && {
    if (config_.endpoints.empty()) {
      return make_error(ErrorCode::kInvalidArgument,
                        config_.path + ": no function endpoint: add a component of kind " +
                            std::string(kEndpointV2Kind) + " (the runtime refuses to start " +
                            "without one)");
    }
    if (ingress_ids_.empty()) {
      config_.warnings.push_back(
          config_.path +
          ": no ingress (playground, Kafka or Kinesis): the real runtime refuses to start "
          "without one; statefun dev still accepts messages from `statefun send`");
    }
    return std::move(config_);
  }

 private:
  // --- function endpoints -------------------------------------------------

  Status add_endpoint(const MapView& spec, bool is_v1) {
    const Typing typing = is_v1 ? Typing::kStrict : Typing::kCoerce;
    HttpEndpointSpec endpoint;
    endpoint.document = spec.document().document;
    endpoint.kind = spec.document().kind;

    auto functions = spec.required_text("functions", typing);
    if (!functions) return std::unexpected(functions.error());
    auto pattern = parse_function_pattern(*functions);
    if (!pattern) return spec.fail("functions", pattern.error());
    endpoint.functions = *functions;
    endpoint.function_namespace = pattern->ns;
    endpoint.function_name = pattern->name;

    auto url = spec.required_text("urlPathTemplate", typing);
    if (!url) return std::unexpected(url.error());
    endpoint.url_path_template = *url;

    auto batch = spec.optional_int("maxNumBatchRequests", typing);
    if (!batch) return std::unexpected(batch.error());
    if (*batch) endpoint.max_num_batch_requests = static_cast<int>(**batch);

    // v1 always uses OkHttp and reads `timeouts` right under spec.
    const Status transport =
        is_v1 ? read_okhttp_timeouts(spec, endpoint) : read_transport(spec, endpoint);
    if (!transport) return transport;

    if (auto problem = url_problem(endpoint.url_path_template, endpoint.transport)) {
      return spec.fail("urlPathTemplate", *problem);
    }
    if (auto bound = bind_function(*pattern, spec); !bound) return bound;
    config_.endpoints.push_back(std::move(endpoint));
    return {};
  }

  Status bind_function(const FunctionPattern& pattern, const MapView& spec) {
    const auto [existing, inserted] =
        function_bindings_.emplace(pattern.binding_key(), spec.document().document);
    if (inserted) return {};
    return spec.fail("functions", "a binding for " + pattern.binding_key() +
                                      " was already defined in document " +
                                      std::to_string(existing->second));
  }

  Status read_transport(const MapView& spec, HttpEndpointSpec& endpoint) {
    auto found_transport = spec.optional_map("transport");
    if (!found_transport) return std::unexpected(found_transport.error());
    if (!*found_transport) return {};  // async with every default
    const MapView& transport = **found_transport;

    auto type = transport.optional_text("type");
    if (!type) return std::unexpected(type.error());
    const std::string transport_type = type->value_or(std::string(kAsyncTransport));
    if (transport_type == kOkHttpTransport) return read_okhttp_timeouts(transport, endpoint);
    if (transport_type != kAsyncTransport) {
      return transport.fail("type", "unknown transport type " + in_quotes(transport_type) +
                                        "; expected " + std::string(kAsyncTransport) + " or " +
                                        std::string(kOkHttpTransport));
    }
    return read_async_transport(transport, endpoint);
  }

  Status read_async_transport(const MapView& transport, HttpEndpointSpec& endpoint) {
    endpoint.transport = TransportKind::kAsync;
    endpoint.call_timeout = std::chrono::minutes(2);
    endpoint.connect_timeout = std::chrono::seconds(20);
    if (auto status = read_duration(transport, "call", endpoint.call_timeout); !status) {
      return status;
    }
    if (auto status = read_duration(transport, "connect", endpoint.connect_timeout); !status) {
      return status;
    }
    // A `timeouts` object, even an empty one, replaces the flat values with
    // its own (or its own defaults).
    auto timeouts = transport.optional_map("timeouts");
    if (!timeouts) return std::unexpected(timeouts.error());
    if (*timeouts) {
      endpoint.call_timeout = std::chrono::minutes(1);
      endpoint.connect_timeout = std::chrono::seconds(10);
      const MapView& replacement = **timeouts;
      if (auto status = read_non_zero_duration(replacement, "call", endpoint.call_timeout);
          !status) {
        return status;
      }
      if (auto status = read_non_zero_duration(replacement, "connect", endpoint.connect_timeout);
          !status) {
        return status;
      }
    }
    if (auto status = read_duration(transport, "pool_ttl", endpoint.pool_ttl); !status) {
      return status;
    }
    auto pool_size = transport.optional_int("pool_size", Typing::kCoerce,
                                            {1, std::numeric_limits<std::int32_t>::max()});
    if (!pool_size) return std::unexpected(pool_size.error());
    if (*pool_size) endpoint.pool_size = static_cast<int>(**pool_size);
    auto payload = transport.optional_int("payload_max_bytes", Typing::kCoerce,
                                          {1, std::numeric_limits<std::int32_t>::max()});
    if (!payload) return std::unexpected(payload.error());
    if (*payload) endpoint.payload_max_bytes = **payload;
    return warn_about_tls_settings(transport);
  }

  // The async transport's TLS settings are valid StateFun but the emulator
  // does not apply them; saying so beats a confusing handshake failure later.
  Status warn_about_tls_settings(const MapView& transport) {
    for (std::string_view key :
         {"trust_cacerts", "client_cert", "client_key", "client_key_password"}) {
      auto text = transport.optional_text(key);
      if (!text) return std::unexpected(text.error());
      if (*text) {
        config_.warnings.push_back(transport.document().label() + ": " + transport.field(key) +
                                   " is accepted but not applied by statefun dev");
      }
    }
    return {};
  }

  // OkHttp: `timeouts` with call/connect/read/write, all non-zero, none of
  // connect/read/write longer than call.
  Status read_okhttp_timeouts(const MapView& parent, HttpEndpointSpec& endpoint) {
    endpoint.transport = TransportKind::kOkHttp;
    endpoint.call_timeout = std::chrono::minutes(1);
    endpoint.connect_timeout = std::chrono::seconds(10);
    endpoint.read_timeout = std::chrono::seconds(10);
    endpoint.write_timeout = std::chrono::seconds(10);
    auto found_timeouts = parent.optional_map("timeouts");
    if (!found_timeouts) return std::unexpected(found_timeouts.error());
    if (!*found_timeouts) return {};
    const MapView& timeouts = **found_timeouts;
    const std::array<std::pair<std::string_view, milliseconds*>, 4> fields = {{
        {"call", &endpoint.call_timeout},
        {"connect", &endpoint.connect_timeout},
        {"read", &endpoint.read_timeout},
        {"write", &endpoint.write_timeout},
    }};
    for (const auto& [key, target] : fields) {
      if (auto status = read_non_zero_duration(timeouts, key, *target); !status) return status;
    }
    for (const auto& [key, value] : std::span(fields).subspan(1)) {
      if (*value > endpoint.call_timeout) {
        return timeouts.fail(key, "must not be longer than the call timeout (" +
                                      std::to_string(value->count()) + " ms" +
                                      (timeouts.has(key) ? "" : ", the default,") + " > " +
                                      std::to_string(endpoint.call_timeout.count()) + " ms)");
      }
    }
    return {};
  }

  static Status read_duration(const MapView& map, std::string_view key, milliseconds& target) {
    auto duration = map.optional_duration(key);
    if (!duration) return std::unexpected(duration.error());
    if (*duration) target = **duration;
    return {};
  }

  static Status read_non_zero_duration(const MapView& map, std::string_view key,
                                       milliseconds& target) {
    auto duration = map.optional_duration(key);
    if (!duration) return std::unexpected(duration.error());
    if (!*duration) return {};
    if (**duration == milliseconds::zero()) {
      return map.fail(key, "timeout durations must be larger than 0");
    }
    target = **duration;
    return {};
  }

  // --- playground I/O -----------------------------------------------------

  Status add_playground_ingress(const MapView& spec) {
    if (auto bound = bind_fixed_id(ingress_ids_, kPlaygroundIngressId, "ingress", spec); !bound) {
      return bound;
    }
    auto port = read_port(spec);
    if (!port) return std::unexpected(port.error());
    config_.playground_ingress = PlaygroundIngressSpec{spec.document().document, *port};
    return {};
  }

  Status add_playground_egress(const MapView& spec) {
    if (auto bound = bind_fixed_id(egress_ids_, kPlaygroundEgressId, "egress", spec); !bound) {
      return bound;
    }
    auto port = read_port(spec);
    if (!port) return std::unexpected(port.error());
    PlaygroundEgressSpec egress{spec.document().document, *port, {}};
    auto topics = spec.optional_list("topics");
    if (!topics) return std::unexpected(topics.error());
    if (!*topics) return spec.fail("topics", "missing required field (a list of topic names)");
    for (const auto& [path, node] : **topics) {
      if (!node.IsScalar()) {
        return spec.document().fail(path, "expected a topic name, got " + describe(node));
      }
      egress.topics.push_back(node.Scalar());
    }
    config_.playground_egress = std::move(egress);
    return {};
  }

  Result<int> read_port(const MapView& spec) {
    auto port = spec.optional_int("port", Typing::kCoerce, kPortRange);
    if (!port) return std::unexpected(port.error());
    if (*port) return static_cast<int>(**port);
    config_.warnings.push_back(spec.document().label() + ": " + spec.field("port") +
                               " is missing, so a random port would be chosen");
    return 0;
  }

  // The playground's fixed ids make a second playground ingress (or egress)
  // a duplicate binding.
  Status bind_fixed_id(std::map<std::string, int>& ids, std::string_view id,
                       std::string_view direction, const MapView& spec) {
    const auto [existing, inserted] = ids.emplace(std::string(id), spec.document().document);
    if (inserted) return {};
    return spec.document().fail("kind", "only one playground " + std::string(direction) +
                                            " is allowed: " + std::string(direction) + " " +
                                            std::string(id) + " was already defined in document " +
                                            std::to_string(existing->second));
  }

  // --- Kafka and Kinesis --------------------------------------------------

  Result<ExternalIoSpec> read_external_id(const MapView& spec, std::map<std::string, int>& ids,
                                          std::string_view direction) {
    auto id = spec.required_typename("id");
    if (!id) return std::unexpected(id.error());
    const std::string id_text = id->ns + "/" + id->name;
    const auto [existing, inserted] = ids.emplace(id_text, spec.document().document);
    if (!inserted) {
      return spec.fail("id", "an " + std::string(direction) + " with id " + id_text +
                                 " was already defined in document " +
                                 std::to_string(existing->second));
    }
    return ExternalIoSpec{spec.document().document, spec.document().kind, id_text, {}};
  }

  void warn_not_emulated(const ExternalIoSpec& io, std::string_view consequence) {
    config_.warnings.push_back(config_.path + ": document " + std::to_string(io.document) + ": " +
                               io.kind + " " + io.id +
                               " is parsed but not emulated yet: " + std::string(consequence));
  }

  Status add_kafka_ingress(const MapView& spec) {
    auto io = read_external_id(spec, ingress_ids_, "ingress");
    if (!io) return std::unexpected(io.error());
    auto properties = read_properties(spec, "properties");
    if (!properties) return std::unexpected(properties.error());
    if (auto status = require_field_or_property(spec, "address", *properties, "bootstrap.servers",
                                                "properties");
        !status) {
      return status;
    }
    if (auto status = require_field_or_property(spec, "consumerGroupId", *properties, "group.id",
                                                "properties");
        !status) {
      return status;
    }
    auto routes = read_routes(spec, "topics", "topic");
    if (!routes) return std::unexpected(routes.error());
    io->routes = std::move(*routes);
    auto reset = optional_choice(spec, "autoOffsetResetPosition", {"earliest", "latest"},
                                 /*ignore_case=*/true);
    if (!reset) return std::unexpected(reset.error());
    if (auto status = check_kafka_startup_position(spec); !status) return status;

    warn_not_emulated(*io,
                      "nothing is read from Kafka; send its messages with `statefun send` or "
                      "the playground ingress instead");
    config_.kafka_ingresses.push_back(std::move(*io));
    return {};
  }

  Status add_kafka_egress(const MapView& spec) {
    auto io = read_external_id(spec, egress_ids_, "egress");
    if (!io) return std::unexpected(io.error());
    auto properties = read_properties(spec, "properties");
    if (!properties) return std::unexpected(properties.error());
    if (auto status = require_field_or_property(spec, "address", *properties, "bootstrap.servers",
                                                "properties");
        !status) {
      return status;
    }
    if (auto status = check_delivery_semantic(spec); !status) return status;

    warn_not_emulated(*io, "records sent to it are not written to Kafka");
    config_.kafka_egresses.push_back(std::move(*io));
    return {};
  }

  static Status check_delivery_semantic(const MapView& spec) {
    auto found_semantic = spec.optional_map("deliverySemantic");
    if (!found_semantic) return std::unexpected(found_semantic.error());
    if (!*found_semantic) return {};
    const MapView& semantic = **found_semantic;
    auto type = required_choice(semantic, "type", {"at-least-once", "exactly-once", "none"});
    if (!type) return std::unexpected(type.error());
    if (*type != "exactly-once") return {};
    auto millis = semantic.optional_int("transactionTimeoutMillis", Typing::kCoerce,
                                        {0, std::numeric_limits<std::int64_t>::max()});
    if (!millis) return std::unexpected(millis.error());
    auto timeout = semantic.optional_duration("transactionTimeout");
    if (!timeout) return std::unexpected(timeout.error());
    if (!*millis && !*timeout) {
      return semantic.fail("transactionTimeout",
                           "missing: exactly-once needs transactionTimeout (a duration) or "
                           "transactionTimeoutMillis");
    }
    return {};
  }

  Status add_kinesis_ingress(const MapView& spec) {
    auto io = read_external_id(spec, ingress_ids_, "ingress");
    if (!io) return std::unexpected(io.error());
    if (auto status = check_kinesis_common(spec); !status) return status;
    if (auto status = check_kinesis_startup_position(spec); !status) return status;
    auto routes = read_routes(spec, "streams", "stream");
    if (!routes) return std::unexpected(routes.error());
    io->routes = std::move(*routes);

    warn_not_emulated(*io,
                      "nothing is read from Kinesis; send its messages with `statefun send` or "
                      "the playground ingress instead");
    config_.kinesis_ingresses.push_back(std::move(*io));
    return {};
  }

  Status add_kinesis_egress(const MapView& spec) {
    auto io = read_external_id(spec, egress_ids_, "egress");
    if (!io) return std::unexpected(io.error());
    if (auto status = check_kinesis_common(spec); !status) return status;
    auto outstanding = spec.optional_int("maxOutstandingRecords");
    if (!outstanding) return std::unexpected(outstanding.error());

    warn_not_emulated(*io, "records sent to it are not written to Kinesis");
    config_.kinesis_egresses.push_back(std::move(*io));
    return {};
  }

  static Status check_kinesis_common(const MapView& spec) {
    if (auto status = check_aws_region(spec); !status) return status;
    if (auto status = check_aws_credentials(spec); !status) return status;
    auto properties = read_properties(spec, "clientConfigProperties");
    if (!properties) return std::unexpected(properties.error());
    return {};
  }

  ModuleConfig config_;
  // Binding keys ("ns/name", "ns/*", ingress and egress ids) -> defining document.
  std::map<std::string, int> function_bindings_;
  std::map<std::string, int> ingress_ids_;
  std::map<std::string, int> egress_ids_;
};

Result<std::vector<YAML::Node>> load_documents(std::string_view text, const std::string& path) {
  try {
    return YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& error) {
    return make_error(ErrorCode::kInvalidArgument,
                      path + ":" + std::to_string(error.mark.line + 1) + ":" +
                          std::to_string(error.mark.column + 1) + ": invalid YAML: " + error.msg);
  }
}

Result<std::vector<Component>> collect_components(const std::vector<YAML::Node>& documents,
                                                  const std::string& path, bool legacy) {
  if (legacy) {
    const auto root = std::ranges::find_if(
        documents, [](const YAML::Node& document) { return !document.IsNull(); });
    const int index = static_cast<int>(root - documents.begin()) + 1;
    return legacy_components(*root, DocumentRef{path, index, ""});
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

}  // namespace

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
  try {
    auto documents = load_documents(text, path);
    if (!documents) return std::unexpected(documents.error());
    const bool legacy = is_legacy_file(*documents);
    auto components = collect_components(*documents, path, legacy);
    if (!components) return std::unexpected(components.error());

    ModuleBuilder builder(path);
    for (const Component& component : *components) {
      if (auto added = builder.add(component); !added) return std::unexpected(added.error());
    }
    auto config = std::move(builder).finish();
    if (config) config->legacy_format = legacy;
    return config;
  } catch (const YAML::Exception& error) {
    // Node accessors can still throw on shapes the readers above did not expect.
    return make_error(ErrorCode::kInvalidArgument, path + ": invalid module: " + error.msg);
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
