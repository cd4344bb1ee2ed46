#include "runtime/protocol/well_known_types.h"

#include <fmt/format.h>

#include <cstring>
#include <type_traits>

#include "types.pb.h"

namespace statefun::types {
namespace pb = io::statefun::sdk::types;

namespace {

template <typename Wrapper, typename T>
std::string encode_wrapper(T value) {
  Wrapper wrapper;
  wrapper.set_value(value);
  return wrapper.SerializeAsString();  // proto3 omits the default: zero bytes
}

template <typename Wrapper>
auto decode_wrapper(std::string_view bytes)
    -> std::optional<std::remove_cvref_t<decltype(Wrapper().value())>> {
  Wrapper wrapper;
  if (!wrapper.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return std::nullopt;
  return wrapper.value();
}

bool is_printable_utf8(std::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') return false;
    if (c == 0x7f) return false;
  }
  return true;
}

std::string ellipsize(std::string text, std::size_t max_chars) {
  if (text.size() <= max_chars) return text;
  text.resize(max_chars > 3 ? max_chars - 3 : 0);
  return text + "...";
}

std::optional<std::string> render_well_known(const TypedValue& v) {
  const std::string_view t = v.type_name;
  if (t == kBool) {
    if (auto b = decode_bool(v.value)) return *b ? "true" : "false";
  } else if (t == kInt) {
    if (auto i = decode_int(v.value)) return std::to_string(*i);
  } else if (t == kLong) {
    if (auto l = decode_long(v.value)) return std::to_string(*l);
  } else if (t == kFloat) {
    if (auto f = decode_float(v.value)) return fmt::format("{}", *f);
  } else if (t == kDouble) {
    if (auto d = decode_double(v.value)) return fmt::format("{}", *d);
  } else if (t == kString) {
    // The ingress delivers raw bytes for this typename (docs/types.md, "What ingresses deliver"),
    // so a failed wrapper decode falls through to the generic rendering.
    if (auto s = decode_string(v.value); s && !v.value.empty()) return fmt::format("\"{}\"", *s);
    if (v.value.empty()) return "\"\"";
  }
  return std::nullopt;
}

}  // namespace

std::string encode_bool(bool value) { return encode_wrapper<pb::BooleanWrapper>(value); }
std::string encode_int(int32_t value) { return encode_wrapper<pb::IntWrapper>(value); }
std::string encode_long(int64_t value) { return encode_wrapper<pb::LongWrapper>(value); }
std::string encode_float(float value) { return encode_wrapper<pb::FloatWrapper>(value); }
std::string encode_double(double value) { return encode_wrapper<pb::DoubleWrapper>(value); }
std::string encode_string(std::string_view value) {
  return encode_wrapper<pb::StringWrapper>(std::string(value));
}

std::optional<bool> decode_bool(std::string_view b) {
  return decode_wrapper<pb::BooleanWrapper>(b);
}
std::optional<int32_t> decode_int(std::string_view b) { return decode_wrapper<pb::IntWrapper>(b); }
std::optional<int64_t> decode_long(std::string_view b) {
  return decode_wrapper<pb::LongWrapper>(b);
}
std::optional<float> decode_float(std::string_view b) {
  return decode_wrapper<pb::FloatWrapper>(b);
}
std::optional<double> decode_double(std::string_view b) {
  return decode_wrapper<pb::DoubleWrapper>(b);
}
std::optional<std::string> decode_string(std::string_view b) {
  return decode_wrapper<pb::StringWrapper>(b);
}

std::string hex(std::string_view bytes, std::size_t max_bytes) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < max_bytes; ++i) {
    out += fmt::format("{:02x}", static_cast<unsigned char>(bytes[i]));
  }
  if (bytes.size() > max_bytes) out += "..";
  return out;
}

std::string render(const TypedValue& value, std::size_t max_chars) {
  if (!value.has_value) return "(no value)";
  if (auto text = render_well_known(value)) return ellipsize(*text, max_chars);
  std::string_view bytes = value.value;
  // JSON and other text: show it as is, on one line.
  if (is_printable_utf8(bytes)) {
    std::string text(bytes);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    for (char& c : text) {
      if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    }
    return ellipsize(text, max_chars);
  }
  return ellipsize(fmt::format("<{} bytes: {}>", bytes.size(), hex(bytes, 32)), max_chars);
}

}  // namespace statefun::types
