#include "emulator/values/value_codec.h"

#include <fmt/format.h>
#include <google/protobuf/compiler/importer.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <vector>

#include "emulator/values/utf8.h"
#include "runtime/core/spelling.h"
#include "runtime/protocol/well_known_types.h"

namespace statefun::values {
namespace fs = std::filesystem;
namespace gp = google::protobuf;
using nlohmann::json;

namespace {

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool is_printable(std::string_view text) {
  for (unsigned char c : text) {
    if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f) return false;
  }
  return is_valid_utf8(text);
}

// The part of a typename after its last '/': the protobuf full name.
std::string_view message_name(std::string_view type_name) {
  const auto slash = type_name.rfind('/');
  return slash == std::string_view::npos ? type_name : type_name.substr(slash + 1);
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

// Wrapper bytes are accepted as well-known only when they start with the tag
// of field 1 (or are empty, the zero value): raw ingress bytes under a
// well-known typename (docs/types.md, "What ingresses deliver") often parse as a message of unknown
// fields, which would otherwise show as a misleading zero.
bool has_field1_tag(std::string_view bytes, unsigned char tag) {
  return bytes.empty() || static_cast<unsigned char>(bytes.front()) == tag;
}

std::optional<json> decode_well_known(const TypedValue& v) {
  const std::string_view t = v.type_name;
  const std::string_view b = v.value;
  if (t == types::kBool && has_field1_tag(b, 0x08)) {
    if (auto x = types::decode_bool(b)) return json(*x);
  } else if (t == types::kInt && has_field1_tag(b, 0x0d)) {
    if (auto x = types::decode_int(b)) return json(*x);
  } else if (t == types::kLong && has_field1_tag(b, 0x09)) {
    if (auto x = types::decode_long(b)) return json(*x);
  } else if (t == types::kFloat && has_field1_tag(b, 0x0d)) {
    if (auto x = types::decode_float(b)) {
      return std::isfinite(*x) ? json(static_cast<double>(*x)) : json(fmt::format("{}", *x));
    }
  } else if (t == types::kDouble && has_field1_tag(b, 0x09)) {
    if (auto x = types::decode_double(b)) {
      return std::isfinite(*x) ? json(*x) : json(fmt::format("{}", *x));
    }
  } else if (t == types::kString && has_field1_tag(b, 0x0a)) {
    if (auto x = types::decode_string(b)) return json(*x);
  }
  return std::nullopt;
}

std::unexpected<Error> bad_input(std::string_view input, std::string_view type_name,
                                 std::string_view why) {
  std::string shown(input.substr(0, 60));
  if (input.size() > 60) shown += "...";
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("'{}' is not a valid {} value: {}", shown, type_name, why));
}

template <typename T>
std::optional<T> parse_integer(std::string_view text) {
  text = trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::optional<double> parse_real(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// A JSON string input for a well-known type means its content (so
// `--json '"hi"'` is the string hi); other inputs are the text itself.
std::optional<std::string> text_of(InputForm form, std::string_view input) {
  if (form != InputForm::kJson) return std::string(input);
  auto parsed = json::parse(input, nullptr, false);
  if (parsed.is_discarded()) return std::nullopt;
  if (parsed.is_string()) return parsed.get<std::string>();
  return dump(parsed);
}

Result<std::string> encode_well_known(std::string_view t, InputForm form, std::string_view input) {
  auto text = text_of(form, input);
  if (!text) return bad_input(input, t, "not JSON");
  if (t == types::kString) {
    if (form == InputForm::kNatural && !input.empty() && input.front() == '"') {
      // `state set ... greeting '"hi"'`: a JSON string means its content.
      auto parsed = json::parse(input, nullptr, false);
      if (!parsed.is_discarded() && parsed.is_string()) text = parsed.get<std::string>();
    }
    if (!is_valid_utf8(*text)) return bad_input(input, t, "not UTF-8");
    return types::encode_string(*text);
  }
  if (t == types::kBool) {
    const auto word = trim(*text);
    if (word == "true") return types::encode_bool(true);
    if (word == "false") return types::encode_bool(false);
    return bad_input(input, t, "expected true or false");
  }
  if (t == types::kInt) {
    if (auto v = parse_integer<int32_t>(*text)) return types::encode_int(*v);
    return bad_input(input, t, "expected an integer from -2147483648 to 2147483647");
  }
  if (t == types::kLong) {
    if (auto v = parse_integer<int64_t>(*text)) return types::encode_long(*v);
    return bad_input(input, t, "expected a 64-bit integer");
  }
  auto real = parse_real(*text);
  if (!real) return bad_input(input, t, "expected a number");
  if (t == types::kFloat) return types::encode_float(static_cast<float>(*real));
  return types::encode_double(*real);
}

bool is_well_known(std::string_view t) {
  return t == types::kBool || t == types::kInt || t == types::kLong || t == types::kFloat ||
         t == types::kDouble || t == types::kString;
}

// Collects the importer's complaints; the first error is the one reported.
class ErrorCollector final : public gp::compiler::MultiFileErrorCollector {
 public:
  void AddError(const std::string& filename, int line, int column,
                const std::string& message) override {
    if (first.empty()) first = fmt::format("{}:{}:{}: {}", filename, line + 1, column + 1, message);
  }
  std::string first;
};

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n =
        (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += kBase64[n >> 18];
    out += kBase64[(n >> 12) & 63];
    out += kBase64[(n >> 6) & 63];
    out += kBase64[n & 63];
  }
  if (i < bytes.size()) {
    uint32_t n = uint8_t(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= uint8_t(bytes[i + 1]) << 8;
    out += kBase64[n >> 18];
    out += kBase64[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kBase64[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const char* at = std::strchr(kBase64, c);
    if (c == '\0' || at == nullptr) return std::nullopt;
    buffer = (buffer << 6) | static_cast<uint32_t>(at - kBase64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  if (bits >= 6) return std::nullopt;  // a single leftover character is not base64
  return out;
}

bool is_valid_utf8(std::string_view text) { return !first_invalid_utf8(text); }

// --- ProtoTypes ---------------------------------------------------------------

struct ProtoTypes::Impl {
  gp::compiler::DiskSourceTree tree;
  ErrorCollector errors;
  std::unique_ptr<gp::compiler::Importer> importer;
  mutable std::mutex mutex;  // DynamicMessageFactory is not thread-safe
  mutable gp::DynamicMessageFactory factory;

  std::vector<const gp::Descriptor*> messages;  // of the files given, nested ones included

  void collect(const gp::Descriptor* message) {
    messages.push_back(message);
    for (int i = 0; i < message->nested_type_count(); ++i) collect(message->nested_type(i));
  }

  // As the SDKs name them: `<anything>/<full name>` (type.googleapis.com/
  // for Python, Go, Java and the runtime); the JS SDK takes any typename,
  // so a last part that is the message's own name, or the end of its full
  // name, also resolves when exactly one message matches.
  const gp::Descriptor* find(std::string_view type_name) const {
    const std::string name(message_name(type_name));
    if (const auto* exact = importer->pool()->FindMessageTypeByName(name)) return exact;
    const gp::Descriptor* found = nullptr;
    for (const auto* message : messages) {
      const std::string& full = message->full_name();
      if (full.size() > name.size() && full.ends_with(name) &&
          full[full.size() - name.size() - 1] == '.') {
        if (found) return nullptr;  // ambiguous: the typename must say which
        found = message;
      }
    }
    return found;
  }
};

ProtoTypes::ProtoTypes(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
ProtoTypes::~ProtoTypes() = default;

Result<std::unique_ptr<ProtoTypes>> ProtoTypes::load(const std::vector<std::string>& files,
                                                     const std::vector<std::string>& import_paths) {
  auto impl = std::make_unique<Impl>();
  for (const auto& dir : import_paths) impl->tree.MapPath("", dir);
  for (const auto& file : files) {
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) {
      return make_error(ErrorCode::kNotFound, fmt::format("{}: no such .proto file", file));
    }
    auto dir = fs::path(file).parent_path();
    impl->tree.MapPath("", dir.empty() ? "." : dir.string());
  }
  // Protobuf's own well-known types (google/protobuf/timestamp.proto, ...).
  for (const char* include : {"/usr/include", "/usr/local/include"}) {
    if (fs::exists(fs::path(include) / "google/protobuf/any.proto")) {
      impl->tree.MapPath("google/protobuf", std::string(include) + "/google/protobuf");
    }
  }
  impl->importer = std::make_unique<gp::compiler::Importer>(&impl->tree, &impl->errors);
  for (const auto& file : files) {
    std::string virtual_file, shadowing;
    if (impl->tree.DiskFileToVirtualFile(file, &virtual_file, &shadowing) !=
        gp::compiler::DiskSourceTree::SUCCESS) {
      virtual_file = fs::path(file).filename().string();
    }
    const gp::FileDescriptor* imported = impl->importer->Import(virtual_file);
    if (imported == nullptr) {
      return make_error(ErrorCode::kInvalidArgument, impl->errors.first.empty()
                                                         ? fmt::format("{}: cannot be parsed", file)
                                                         : impl->errors.first);
    }
    for (int i = 0; i < imported->message_type_count(); ++i) {
      impl->collect(imported->message_type(i));
    }
  }
  return std::unique_ptr<ProtoTypes>(new ProtoTypes(std::move(impl)));
}

bool ProtoTypes::knows(std::string_view type_name) const {
  return m_impl->find(type_name) != nullptr;
}

Error ProtoTypes::unknown_message(std::string_view type_name) const {
  const std::string name(message_name(type_name));
  std::vector<std::string> names, short_names;
  for (const auto* message : m_impl->messages) {
    names.push_back(message->full_name());
    short_names.push_back(message->name());
  }
  std::string listed;
  for (const auto& full : names) listed += (listed.empty() ? "" : ", ") + full;
  std::string hint;
  auto guess = closest_match(name, names);
  if (!guess) {
    if (auto short_guess = closest_match(name, short_names)) {
      guess = names[std::ranges::find(short_names, *short_guess) - short_names.begin()];
    }
  }
  if (guess) {
    hint = fmt::format("; did you mean type.googleapis.com/{}?", *guess);
  } else if (!names.empty()) {
    hint = fmt::format("; name one as type.googleapis.com/<full name>, as the SDKs do");
  }
  return Error{ErrorCode::kInvalidArgument,
               fmt::format("--proto: no message {} for type {} in the .proto files (they define: "
                           "{}){}",
                           name, type_name, listed.empty() ? "no messages" : listed, hint)};
}

Result<std::string> ProtoTypes::to_json(std::string_view type_name, std::string_view bytes) const {
  const auto* descriptor = m_impl->find(type_name);
  if (!descriptor) {
    return make_error(ErrorCode::kNotFound,
                      fmt::format("no message {} in the .proto files", message_name(type_name)));
  }
  std::lock_guard lock(m_impl->mutex);
  std::unique_ptr<gp::Message> message(m_impl->factory.GetPrototype(descriptor)->New());
  if (!message->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("the bytes are not a valid {}", descriptor->full_name()));
  }
  gp::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string out;
  if (auto status = gp::util::MessageToJsonString(*message, &out, options); !status.ok()) {
    return make_error(ErrorCode::kInvalidArgument, std::string(status.message()));
  }
  return out;
}

Result<std::string> ProtoTypes::from_json(std::string_view type_name, std::string_view text) const {
  const auto* descriptor = m_impl->find(type_name);
  if (!descriptor) {
    return make_error(ErrorCode::kNotFound,
                      fmt::format("no message {} in the .proto files", message_name(type_name)));
  }
  std::lock_guard lock(m_impl->mutex);
  std::unique_ptr<gp::Message> message(m_impl->factory.GetPrototype(descriptor)->New());
  auto status = gp::util::JsonStringToMessage(std::string(text), message.get());
  if (!status.ok()) {
    std::string why(status.message());
    // "colour: Cannot find field.": name the fields the message has.
    if (const auto colon = why.find(": Cannot find field"); colon != std::string::npos) {
      const std::string field = why.substr(0, colon);
      std::vector<std::string> fields;
      for (int i = 0; i < descriptor->field_count(); ++i) {
        fields.push_back(descriptor->field(i)->name());
      }
      std::string listed;
      for (const auto& name : fields) listed += (listed.empty() ? "" : ", ") + name;
      why = fmt::format("{} has no field {} (fields: {})", descriptor->full_name(), field, listed);
      if (auto guess = closest_match(field, fields))
        why += fmt::format("; did you mean {}?", *guess);
    }
    return bad_input(text, type_name, why);
  }
  return message->SerializeAsString();
}

// --- decode / encode ---------------------------------------------------------------

const char* kind_name(ValueKind kind) {
  switch (kind) {
    case ValueKind::kNone:
      return "none";
    case ValueKind::kWellKnown:
      return "well-known";
    case ValueKind::kProtobuf:
      return "protobuf";
    case ValueKind::kJson:
      return "json";
    case ValueKind::kText:
      return "text";
    case ValueKind::kBytes:
      return "bytes";
  }
  return "bytes";
}

DecodedValue decode(const TypedValue& value, const ProtoTypes* protos) {
  if (!value.has_value) return {ValueKind::kNone, "null"};
  if (auto v = decode_well_known(value)) return {ValueKind::kWellKnown, dump(*v)};
  if (protos && protos->knows(value.type_name)) {
    if (auto text = protos->to_json(value.type_name, value.value)) {
      return {ValueKind::kProtobuf, *text};
    }
  }
  if (!value.value.empty() && is_valid_utf8(value.value)) {
    auto parsed = json::parse(value.value, nullptr, false);
    if (!parsed.is_discarded()) return {ValueKind::kJson, dump(parsed)};
  }
  if (is_printable(value.value)) return {ValueKind::kText, dump(json(value.value))};
  return {ValueKind::kBytes, "null"};
}

std::string human(const TypedValue& value, const ProtoTypes* protos, std::size_t max_chars) {
  const auto decoded = decode(value, protos);
  std::string text;
  if (decoded.kind == ValueKind::kBytes) {
    text = fmt::format("<{} bytes: {}>", value.value.size(), types::hex(value.value, 32));
  } else if (decoded.kind == ValueKind::kNone) {
    text = "(no value)";
  } else {
    text = decoded.json;
  }
  if (max_chars && text.size() > max_chars) {
    text.resize(max_chars > 3 ? max_chars - 3 : 0);
    text += "...";
  }
  return text;
}

Result<std::string> encode(std::string_view type_name, InputForm form, std::string_view input,
                           const ProtoTypes* protos) {
  if (form == InputForm::kInt && !parse_integer<int64_t>(input)) {
    return bad_input(input, type_name, "--int expects an integer");
  }
  if (is_well_known(type_name)) return encode_well_known(type_name, form, input);
  if (protos && protos->knows(type_name)) return protos->from_json(type_name, input);
  // --proto was given to send a protobuf value: JSON sent verbatim instead
  // would reach the function as bytes it cannot parse.
  if (protos && (form == InputForm::kJson || form == InputForm::kNatural)) {
    return std::unexpected(protos->unknown_message(type_name));
  }
  switch (form) {
    case InputForm::kString:
    case InputForm::kBytes:
      return std::string(input);
    case InputForm::kInt:
      return std::string(trim(input));  // a JSON number
    case InputForm::kJson:
    case InputForm::kNatural:
      break;
  }
  auto parsed = json::parse(input, nullptr, false);
  if (parsed.is_discarded()) {
    return bad_input(input, type_name,
                     form == InputForm::kJson
                         ? "not JSON"
                         : "not JSON (JSON types take JSON; use --string for raw text, or "
                           "--proto for a protobuf type)");
  }
  return std::string(input);  // verbatim: exactly what the user wrote
}

}  // namespace statefun::values
