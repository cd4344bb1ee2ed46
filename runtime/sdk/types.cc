// The built-in value types: io.statefun.types/* wrappers (shared with the
// engine's runtime/well_known_types.h), JSON and raw bytes.
#include <optional>

#include "runtime/protocol/well_known_types.h"
#include "runtime/sdk/statefun_sdk.h"

namespace statefun::sdk {
namespace detail {
namespace {

template <typename T>
T decoded_or_throw(std::optional<T> value, std::string_view type_name) {
  if (!value) throw_undecodable(type_name);
  return *std::move(value);
}

}  // namespace

std::string encode_int(const int32_t& value) { return statefun::types::encode_int(value); }
std::string encode_long(const int64_t& value) { return statefun::types::encode_long(value); }
std::string encode_bool(const bool& value) { return statefun::types::encode_bool(value); }
std::string encode_float(const float& value) { return statefun::types::encode_float(value); }
std::string encode_double(const double& value) { return statefun::types::encode_double(value); }
std::string encode_string(const std::string& value) {
  return statefun::types::encode_string(value);
}

int32_t decode_int(std::string_view bytes) {
  return decoded_or_throw(statefun::types::decode_int(bytes), statefun::types::kInt);
}
int64_t decode_long(std::string_view bytes) {
  return decoded_or_throw(statefun::types::decode_long(bytes), statefun::types::kLong);
}
bool decode_bool(std::string_view bytes) {
  return decoded_or_throw(statefun::types::decode_bool(bytes), statefun::types::kBool);
}
float decode_float(std::string_view bytes) {
  return decoded_or_throw(statefun::types::decode_float(bytes), statefun::types::kFloat);
}
double decode_double(std::string_view bytes) {
  return decoded_or_throw(statefun::types::decode_double(bytes), statefun::types::kDouble);
}
std::string decode_string(std::string_view bytes) {
  return decoded_or_throw(statefun::types::decode_string(bytes), statefun::types::kString);
}

}  // namespace detail

namespace types {

Type<nlohmann::json> Json(std::string type_name) {
  return Type<nlohmann::json>(
      std::move(type_name), [](const nlohmann::json& value) { return value.dump(); },
      [](std::string_view bytes) { return nlohmann::json::parse(bytes); });
}

Type<std::string> Raw(std::string type_name) {
  return Type<std::string>(
      std::move(type_name), [](const std::string& value) { return value; },
      [](std::string_view bytes) { return std::string(bytes); });
}

}  // namespace types
}  // namespace statefun::sdk
