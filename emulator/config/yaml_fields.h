// Reading typed fields out of parsed YAML, for module.yaml and statefun.yaml
// alike, so that the same mistake is worded the same way in both files.
//
// Every error is one line: where, which document, which field, what is wrong.
//   <file>[:<line>:<column>]: [document <n> (<kind>): ][<field path>: ]<what>
// e.g.
//   module.yaml:6:11: document 2 (io.statefun.endpoints.v2/http): spec.transport.call: invalid
//   duration "forever": ... statefun.yaml:3:5: processes[0].comand: unknown key (did you mean
//   "command"?)
// The line and column are yaml-cpp's mark: of the offending value, of the key
// when the value is null, of the mapping that lacks a required field, of an
// unknown key. Documents are numbered from 1 in files that may hold several
// (module.yaml); statefun.yaml is one document and names none.
//
// The words for the common mistakes:
//   missing required field [(is "<key>" a misspelling of it?)]
//   expected a string | a mapping | a list | an integer | a boolean (true or false), got <what>
//   expected an integer from <min> to <max> (or: >= <min>), got <number>
//   expected one of <a, b, c>, got "<text>"
//   unknown key (did you mean "<key>"?)   or   unknown key (expected one of: <keys>)
// where <what> says what was found: null, a mapping, a list, the number 42,
// the boolean true, or "text" in quotes.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/core/result.h"

namespace statefun::emulator {

// ---------------------------------------------------------------------------
// Scalars and how messages show values

// What a scalar means under the YAML core schema. yaml-cpp keeps every scalar
// as text, so unquoted `3.0` and quoted "3.0" differ only in their tag.
enum class ScalarType { kNull, kBool, kInteger, kFloat, kString };
ScalarType scalar_type(const YAML::Node& node);

// User text in double quotes for a one-line message (newlines escaped, long
// text cut).
std::string in_quotes(std::string_view text);

// What a node is, for "got ...": null, a mapping, a list, the number 42, the
// boolean true, or the text in quotes.
std::string describe(const YAML::Node& node);

std::string lowercase_ascii(std::string_view text);

// A YAML integer as text: decimal with an optional sign, 0x hex or 0o octal.
std::optional<std::int64_t> parse_integer_text(std::string_view text);

// ---------------------------------------------------------------------------
// Loading

// Every document of a file (module.yaml). A syntax error reads
// "<file>:<line>:<column>: invalid YAML: <reason>".
Result<std::vector<YAML::Node>> load_yaml_documents(std::string_view text, const std::string& file);

// The first document of a file (statefun.yaml); an empty file is a null node.
Result<YAML::Node> load_yaml_document(std::string_view text, const std::string& file);

// For the rare shapes a reader did not expect and yaml-cpp throws on.
Error yaml_exception_error(const std::string& file, const YAML::Exception& exception);

// ---------------------------------------------------------------------------
// Locations

// Where a node's text starts; null_mark() for nodes yaml-cpp did not parse.
YAML::Mark mark_of(const YAML::Node& node);

// One YAML document of one file: what every message starts with.
struct YamlDocument {
  std::string file;  // as given; labels messages
  int number = 0;    // 1-based; 0 in a file that is one document (not named in messages)
  std::string kind;  // module.yaml: the component kind, once known (shown after the number)
  YAML::Mark kind_mark = YAML::Mark::null_mark();  // where that kind is written
  // module.yaml reads `key: ~` as absent, as Jackson does; statefun.yaml
  // takes it as a value, which is then of the wrong type.
  bool null_is_absent = true;

  // "<file>[: document <n> (<kind>)]": how warnings start.
  std::string label() const;
  // "<file>[:<line>:<column>]: [document <n> (<kind>): ]<field>: <what>"; an
  // empty field is left out.
  Error error(std::string_view field, std::string_view what,
              const YAML::Mark& at = YAML::Mark::null_mark()) const;
  std::unexpected<Error> fail(std::string_view field, std::string_view what,
                              const YAML::Mark& at = YAML::Mark::null_mark()) const {
    return std::unexpected(error(field, what, at));
  }
};

// ---------------------------------------------------------------------------
// Fields of a mapping

// How strictly a field's YAML type is checked. kCoerce takes any scalar as
// text and a quoted "10" as an integer (Jackson data binding, and
// statefun.yaml); kStrict wants the YAML type itself (StateFun's v1 binder).
enum class Typing { kCoerce, kStrict };

struct IntRange {
  std::int64_t min = std::numeric_limits<std::int32_t>::min();
  std::int64_t max = std::numeric_limits<std::int32_t>::max();
};

// One list element with its path ("spec.topics[0]"), or one mapping entry
// with its key's path ("hosts.functions").
struct YamlItem {
  std::string path;
  YAML::Node node;
};
using YamlItems = std::vector<YamlItem>;

// A mapping node plus its dotted path from the document root (e.g.
// "spec.transport"), so every reader can name the field it complains about.
// A missing key reads as absent; so does a null value when the document says so.
class YamlMap {
 public:
  YamlMap(YAML::Node node, std::string path, const YamlDocument* document)
      : node_(std::move(node)), path_(std::move(path)), document_(document) {}

  const YamlDocument& document() const { return *document_; }
  const YAML::Node& node() const { return node_; }
  const std::string& path() const { return path_; }

  // "spec.transport" + "call" -> "spec.transport.call".
  std::string field(std::string_view key) const;
  // An error about `key`, located at its value (or key, or this mapping).
  std::unexpected<Error> fail(std::string_view key, std::string_view what) const;
  // An error about this mapping as a whole.
  std::unexpected<Error> fail_here(std::string_view what) const;

  std::optional<YAML::Node> get(std::string_view key) const;
  bool has(std::string_view key) const { return get(key).has_value(); }

  // Any scalar (kCoerce) or a YAML string (kStrict).
  Result<std::optional<std::string>> optional_text(std::string_view key,
                                                   Typing typing = Typing::kCoerce) const;
  Result<std::string> required_text(std::string_view key, Typing typing = Typing::kCoerce) const;
  // Each of `keys` present as text.
  Result<void> require_texts(std::initializer_list<std::string_view> keys) const;
  Result<std::optional<std::int64_t>> optional_int(std::string_view key,
                                                   Typing typing = Typing::kCoerce,
                                                   IntRange range = {}) const;
  // YAML 1.1 booleans: true/false, yes/no, on/off.
  Result<std::optional<bool>> optional_bool(std::string_view key) const;
  // One of a fixed set of words (compared case-insensitively when asked;
  // the answer is then in lower case).
  Result<std::optional<std::string>> optional_choice(
      std::string_view key, std::initializer_list<std::string_view> choices,
      bool ignore_case = false) const;
  Result<std::string> required_choice(std::string_view key,
                                      std::initializer_list<std::string_view> choices) const;

  Result<std::optional<YamlMap>> optional_map(std::string_view key) const;
  Result<YamlMap> required_map(std::string_view key) const;
  // The elements of a list field, each with its own path ("spec.topics[0]").
  Result<std::optional<YamlItems>> optional_list(std::string_view key) const;
  Result<YamlItems> required_non_empty_list(std::string_view key) const;

  // This mapping's entries in order, keyed by their text; a key that is not
  // a scalar is an error.
  Result<std::vector<std::pair<std::string, YamlItem>>> entries() const;
  // Refuses a key outside `allowed`, suggesting the likely one: an alias
  // people reach for out of habit ("cmd" -> "command"), else the closest
  // spelling, else the whole list.
  Result<void> check_keys(const std::vector<std::string_view>& allowed,
                          const std::map<std::string_view, std::string_view>& aliases = {}) const;
  // For files read leniently (module.yaml: the real engine ignores keys it
  // does not know): one warning per key outside `known`, located at the
  // key, saying it is ignored (and `consequence`, if given) and suggesting
  // the closest known key.
  std::vector<std::string> unknown_key_warnings(const std::vector<std::string_view>& known,
                                                std::string_view consequence = {}) const;
  // "missing required field", naming a present key that looks like a
  // misspelling of `key`.
  std::string missing_field(std::string_view key) const;

 private:
  YAML::Mark mark_for(std::string_view key) const;

  YAML::Node node_;
  std::string path_;
  const YamlDocument* document_;
};

// A list element or entry that must itself be a mapping.
Result<YamlMap> item_map(const YamlItem& item, const YamlDocument& document);
// An error about a list element or entry, located at it.
std::unexpected<Error> fail_at(const YamlItem& item, const YamlDocument& document,
                               std::string_view what);
// A list element or entry that must be a scalar, read as text.
Result<std::string> item_text(const YamlItem& item, const YamlDocument& document);

}  // namespace statefun::emulator
