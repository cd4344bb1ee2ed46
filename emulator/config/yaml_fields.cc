#include "emulator/config/yaml_fields.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <regex>

#include "emulator/config/yaml_guard.h"
#include "runtime/core/spelling.h"

namespace statefun::emulator {
namespace {

bool is_yaml_integer(std::string_view text) {
  static const std::regex pattern("[-+]?[0-9]+|0x[0-9a-fA-F]+|0o[0-7]+");
  return std::regex_match(text.begin(), text.end(), pattern);
}

bool is_yaml_float(std::string_view text) {
  static const std::regex pattern(
      R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))");
  return std::regex_match(text.begin(), text.end(), pattern);
}

std::string location(const std::string& file, const YAML::Mark& at) {
  if (at.is_null()) return file;
  return fmt::format("{}:{}:{}", file, at.line + 1, at.column + 1);
}

std::string range_text(const IntRange& range) {
  if (range.max == std::numeric_limits<std::int64_t>::max()) {
    return fmt::format("an integer >= {}", range.min);
  }
  return fmt::format("an integer from {} to {}", range.min, range.max);
}

}  // namespace

// ---------------------------------------------------------------------------
// Scalars and how messages show values

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

// ---------------------------------------------------------------------------
// Loading

namespace {

// The first control character YAML does not allow (all but tab, line feed
// and carriage return; DEL too): yaml-cpp 0.7 loops on some of them, e.g.
// "\0\0\0," (found by the fuzz target), so none reaches it.
Result<void> refuse_control_characters(std::string_view text, const std::string& file) {
  int line = 1, column = 1;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t' && c != '\n' && c != '\r') || byte == 0x7F) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("{}:{}:{}: invalid YAML: control character U+{:04X} (only "
                                    "tab, line feed and carriage return are allowed)",
                                    file, line, column, byte));
    }
    if (c == '\n') {
      ++line;
      column = 1;
    } else if ((byte & 0xC0) != 0x80) {  // one column per UTF-8 character
      ++column;
    }
  }
  return {};
}

// yaml-cpp 0.7 never returns on some invalid input (yaml_guard.h).
Result<void> refuse_hanging_yaml(std::string_view text, const std::string& file) {
  if (auto refused = refuse_control_characters(text, file); !refused) return refused;
  const auto hang = find_yaml_cpp_hang(text);
  if (!hang) return {};
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("{}:{}:{}: invalid YAML: ',' where a value should start", file,
                                hang->line, hang->column));
}

}  // namespace

Result<std::vector<YAML::Node>> load_yaml_documents(std::string_view text,
                                                    const std::string& file) {
  if (auto refused = refuse_hanging_yaml(text, file); !refused) {
    return std::unexpected(refused.error());
  }
  try {
    return YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& error) {
    return make_error(ErrorCode::kInvalidArgument,
                      location(file, error.mark) + ": invalid YAML: " + error.msg);
  }
}

Result<YAML::Node> load_yaml_document(std::string_view text, const std::string& file) {
  if (auto refused = refuse_hanging_yaml(text, file); !refused) {
    return std::unexpected(refused.error());
  }
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& error) {
    return make_error(ErrorCode::kInvalidArgument,
                      location(file, error.mark) + ": invalid YAML: " + error.msg);
  }
}

Error yaml_exception_error(const std::string& file, const YAML::Exception& exception) {
  return Error{ErrorCode::kInvalidArgument,
               location(file, exception.mark) + ": unexpected shape: " + exception.msg};
}

// ---------------------------------------------------------------------------
// Locations

YAML::Mark mark_of(const YAML::Node& node) {
  if (!node.IsDefined()) return YAML::Mark::null_mark();
  return node.Mark();
}

std::string YamlDocument::label() const {
  std::string text = file;
  if (number > 0) {
    text += fmt::format(": document {}", number);
    if (!kind.empty()) text += " (" + kind + ")";
  }
  return text;
}

Error YamlDocument::error(std::string_view field, std::string_view what,
                          const YAML::Mark& at) const {
  std::string text = location(file, at);
  if (number > 0) {
    text += fmt::format(": document {}", number);
    if (!kind.empty()) text += " (" + kind + ")";
  }
  if (!field.empty()) text += ": " + std::string(field);
  return Error{ErrorCode::kInvalidArgument, text + ": " + std::string(what)};
}

// ---------------------------------------------------------------------------
// Fields of a mapping

std::string YamlMap::field(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

YAML::Mark YamlMap::mark_for(std::string_view key) const {
  const YAML::Node value = node_[std::string(key)];
  if (!value.IsDefined()) return mark_of(node_);
  if (!value.IsNull()) return mark_of(value);
  // yaml-cpp puts a null value where the parser stood next, often the
  // following line; the key is where the reader looks.
  for (const auto& entry : node_) {
    if (entry.first.IsScalar() && entry.first.Scalar() == key) return mark_of(entry.first);
  }
  return mark_of(node_);
}

std::unexpected<Error> YamlMap::fail(std::string_view key, std::string_view what) const {
  return document_->fail(field(key), what, mark_for(key));
}

std::unexpected<Error> YamlMap::fail_here(std::string_view what) const {
  return document_->fail(path_, what, mark_of(node_));
}

std::optional<YAML::Node> YamlMap::get(std::string_view key) const {
  const YAML::Node value = node_[std::string(key)];
  if (!value.IsDefined() || (value.IsNull() && document_->null_is_absent)) return std::nullopt;
  return value;
}

Result<std::optional<std::string>> YamlMap::optional_text(std::string_view key,
                                                          Typing typing) const {
  const auto value = get(key);
  if (!value) return std::nullopt;
  if (!value->IsScalar() ||
      (typing == Typing::kStrict && scalar_type(*value) != ScalarType::kString)) {
    return fail(key, "expected a string, got " + describe(*value));
  }
  return value->Scalar();
}

Result<std::string> YamlMap::required_text(std::string_view key, Typing typing) const {
  auto text = optional_text(key, typing);
  if (!text) return std::unexpected(text.error());
  if (!*text) return fail(key, missing_field(key));
  return std::move(**text);
}

Result<void> YamlMap::require_texts(std::initializer_list<std::string_view> keys) const {
  for (std::string_view key : keys) {
    auto text = required_text(key);
    if (!text) return std::unexpected(text.error());
  }
  return {};
}

Result<std::optional<std::int64_t>> YamlMap::optional_int(std::string_view key, Typing typing,
                                                          IntRange range) const {
  const auto value = get(key);
  if (!value) return std::nullopt;
  std::optional<std::int64_t> number;
  if (value->IsScalar() &&
      (typing == Typing::kCoerce || scalar_type(*value) == ScalarType::kInteger)) {
    number = parse_integer_text(value->Scalar());
  }
  if (!number) return fail(key, "expected an integer, got " + describe(*value));
  if (*number < range.min || *number > range.max) {
    return fail(key, "expected " + range_text(range) + ", got " + value->Scalar());
  }
  return number;
}

Result<std::optional<bool>> YamlMap::optional_bool(std::string_view key) const {
  const auto value = get(key);
  if (!value) return std::nullopt;
  bool flag = false;
  if (!value->IsScalar() || !YAML::convert<bool>::decode(*value, flag)) {
    return fail(key, "expected a boolean (true or false), got " + describe(*value));
  }
  return flag;
}

Result<std::optional<std::string>> YamlMap::optional_choice(
    std::string_view key, std::initializer_list<std::string_view> choices, bool ignore_case) const {
  auto text = optional_text(key);
  if (!text || !*text) return text;
  const std::string value = ignore_case ? lowercase_ascii(**text) : **text;
  if (std::ranges::find(choices, value) != choices.end()) return value;
  std::string expected;
  for (std::string_view choice : choices) {
    expected += (expected.empty() ? "" : ", ") + std::string(choice);
  }
  return fail(key, "expected one of " + expected + ", got " + in_quotes(**text));
}

Result<std::string> YamlMap::required_choice(
    std::string_view key, std::initializer_list<std::string_view> choices) const {
  auto choice = optional_choice(key, choices);
  if (!choice) return std::unexpected(choice.error());
  if (!*choice) return fail(key, missing_field(key));
  return std::move(**choice);
}

Result<std::optional<YamlMap>> YamlMap::optional_map(std::string_view key) const {
  const auto value = get(key);
  if (!value) return std::nullopt;
  if (!value->IsMap()) return fail(key, "expected a mapping, got " + describe(*value));
  return YamlMap(*value, field(key), document_);
}

Result<YamlMap> YamlMap::required_map(std::string_view key) const {
  auto map = optional_map(key);
  if (!map) return std::unexpected(map.error());
  if (!*map) return fail(key, missing_field(key));
  return std::move(**map);
}

Result<std::optional<YamlItems>> YamlMap::optional_list(std::string_view key) const {
  const auto value = get(key);
  if (!value) return std::nullopt;
  if (!value->IsSequence()) return fail(key, "expected a list, got " + describe(*value));
  YamlItems items;
  for (std::size_t i = 0; i < value->size(); ++i) {
    items.push_back({field(key) + "[" + std::to_string(i) + "]", (*value)[i]});
  }
  return items;
}

Result<YamlItems> YamlMap::required_non_empty_list(std::string_view key) const {
  auto items = optional_list(key);
  if (!items) return std::unexpected(items.error());
  if (!*items) return fail(key, missing_field(key));
  if ((*items)->empty()) return fail(key, "expected at least one entry, got an empty list");
  return std::move(**items);
}

Result<std::vector<std::pair<std::string, YamlItem>>> YamlMap::entries() const {
  std::vector<std::pair<std::string, YamlItem>> out;
  for (const auto& entry : node_) {
    if (!entry.first.IsScalar()) {
      return document_->fail(path_, "expected a name as key, got " + describe(entry.first),
                             mark_of(entry.first));
    }
    const std::string& key = entry.first.Scalar();
    out.emplace_back(key, YamlItem{field(key), entry.second});
  }
  return out;
}

std::string YamlMap::missing_field(std::string_view key) const {
  // A misspelt key reads as a missing one: name the likely culprit.
  const std::vector<std::string> wanted{std::string(key)};
  if (node_.IsMap()) {
    for (const auto& entry : node_) {
      const std::string present = entry.first.Scalar();
      if (present != key && closest_match(present, wanted)) {
        return "missing required field (is " + in_quotes(present) + " a misspelling of it?)";
      }
    }
  }
  return "missing required field";
}

std::vector<std::string> YamlMap::unknown_key_warnings(const std::vector<std::string_view>& known,
                                                       std::string_view consequence) const {
  std::vector<std::string> warnings;
  if (!node_.IsMap()) return warnings;
  const std::vector<std::string> candidates(known.begin(), known.end());
  for (const auto& entry : node_) {
    if (!entry.first.IsScalar()) continue;
    const std::string key = entry.first.Scalar();
    if (std::ranges::find(known, key) != known.end()) continue;
    std::string what = "unknown key, ignored";
    if (!consequence.empty()) what += " (" + std::string(consequence) + ")";
    if (auto guess = closest_match(key, candidates))
      what += "; did you mean " + in_quotes(*guess) + "?";
    warnings.push_back(document_->error(field(key), what, mark_of(entry.first)).message);
  }
  return warnings;
}

Result<void> YamlMap::check_keys(
    const std::vector<std::string_view>& allowed,
    const std::map<std::string_view, std::string_view>& aliases) const {
  for (const auto& entry : node_) {
    const std::string key = entry.first.Scalar();
    if (std::ranges::find(allowed, key) != allowed.end()) continue;
    std::optional<std::string> guess;
    if (auto alias = aliases.find(key);
        alias != aliases.end() && std::ranges::find(allowed, alias->second) != allowed.end()) {
      guess = std::string(alias->second);
    } else {
      guess = closest_match(key, std::vector<std::string>(allowed.begin(), allowed.end()));
    }
    std::string why = "unknown key";
    if (guess) {
      why += " (did you mean " + in_quotes(*guess) + "?)";
    } else {
      std::string known;
      for (auto word : allowed) known += (known.empty() ? "" : ", ") + std::string(word);
      why += " (expected one of: " + known + ")";
    }
    return document_->fail(field(key), why, mark_of(entry.first));
  }
  return {};
}

Result<YamlMap> item_map(const YamlItem& item, const YamlDocument& document) {
  if (!item.node.IsMap()) {
    return fail_at(item, document, "expected a mapping, got " + describe(item.node));
  }
  return YamlMap(item.node, item.path, &document);
}

std::unexpected<Error> fail_at(const YamlItem& item, const YamlDocument& document,
                               std::string_view what) {
  return document.fail(item.path, what, mark_of(item.node));
}

Result<std::string> item_text(const YamlItem& item, const YamlDocument& document) {
  if (!item.node.IsScalar()) {
    return fail_at(item, document, "expected a string, got " + describe(item.node));
  }
  return item.node.Scalar();
}

}  // namespace statefun::emulator
