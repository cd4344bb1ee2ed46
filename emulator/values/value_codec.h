// Values for humans: turning a TypedValue into something a person (or a
// script reading JSON) can read, and turning what a person typed into the
// exact bytes a function expects. Both directions follow
// docs/types.md:
//   - io.statefun.types/* ("The well-known types"): decoded as protobuf wrappers (tolerant),
//     encoded canonically (a zero value is zero bytes);
//   - protobuf types ("Protobuf and custom types"), when the user pointed at their .proto
//     files: the message named by the typename's part after the last '/' (so
//     `type.googleapis.com/shop.Order` is `shop.Order`; see ProtoTypes::knows),
//     shown and read as protobuf's JSON mapping; with .proto files given, a
//     JSON value for a typename no message matches is refused, not sent as text;
//   - JSON types ("JSON types"): any other payload that parses as JSON is shown as
//     JSON; JSON given for any other typename is stored verbatim;
//   - anything else: printable UTF-8 as text, raw bytes otherwise.
//
// Threading: ProtoTypes is immutable after load() and safe to share.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/core/result.h"
#include "runtime/protocol/model.h"

namespace statefun::values {

std::string base64_encode(std::string_view bytes);
// nullopt when `text` is not standard base64 (padding optional).
std::optional<std::string> base64_decode(std::string_view text);

bool is_valid_utf8(std::string_view text);

// Message types read at run time from .proto files with protobuf's own
// importer (no code generation).
class ProtoTypes {
 public:
  // Parses `files` and what they import. An import is looked up in
  // `import_paths`, then beside the importing file, then among protobuf's
  // own well-known .proto files. Errors (kInvalidArgument) name the file,
  // line and column of the first problem; kNotFound for a missing file.
  static Result<std::unique_ptr<ProtoTypes>> load(const std::vector<std::string>& files,
                                                  const std::vector<std::string>& import_paths);
  ~ProtoTypes();

  // Whether `type_name` names a loaded message: its part after the last '/'
  // is the message's full name (`type.googleapis.com/shop.Order`), or the
  // end of exactly one message's full name (`example/Order`, as a JS SDK
  // app may name it).
  bool knows(std::string_view type_name) const;
  // "--proto: no message X for type T in the .proto files (they define:
  // ...); did you mean ...?", for a typename knows() refuses.
  Error unknown_message(std::string_view type_name) const;
  // Serialized message -> protobuf JSON (proto field names, compact).
  Result<std::string> to_json(std::string_view type_name, std::string_view bytes) const;
  // Protobuf JSON -> serialized message; kInvalidArgument names the problem.
  Result<std::string> from_json(std::string_view type_name, std::string_view json) const;

 private:
  struct Impl;
  explicit ProtoTypes(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

enum class ValueKind {
  kNone,       // has_value is false
  kWellKnown,  // io.statefun.types/*
  kProtobuf,   // decoded with ProtoTypes
  kJson,       // the bytes are JSON text
  kText,       // printable UTF-8 that is not JSON
  kBytes,      // anything else
};
const char* kind_name(ValueKind kind);  // "none", "well-known", "protobuf", ...

struct DecodedValue {
  ValueKind kind = ValueKind::kNone;
  // The value as JSON text: a number, bool or string for well-known types,
  // the object for protobuf, the (compacted) document for JSON, a string
  // for text, `null` for none and bytes.
  std::string json = "null";
};

// Never fails: what cannot be decoded as its type falls back to the
// generic forms (JSON, text, bytes).
DecodedValue decode(const TypedValue& value, const ProtoTypes* protos = nullptr);

// One line for a table cell: the JSON text, or `<N bytes: hex>` for bytes.
// Ellipsized to `max_chars` (0: never).
std::string human(const TypedValue& value, const ProtoTypes* protos = nullptr,
                  std::size_t max_chars = 0);

// How the user wrote a value.
enum class InputForm {
  kNatural,  // `state set ... VALUE`: the type's own notation (numbers, JSON)
  kString,   // --string: text; raw UTF-8 unless the type says otherwise
  kJson,     // --json: must be JSON
  kInt,      // --int: must be an integer
  kBytes,    // --file / stdin: raw bytes
};

// The bytes for a value of `type_name` given as `input`. kInvalidArgument
// when the input does not parse as the type; the message names both.
Result<std::string> encode(std::string_view type_name, InputForm form, std::string_view input,
                           const ProtoTypes* protos = nullptr);

}  // namespace statefun::values
