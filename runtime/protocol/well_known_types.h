// The io.statefun.types/* wrapper encodings (docs/types.md).
// Encoders produce the canonical bytes the Java SDK insists on (zero values
// are zero bytes); decoders parse as protobuf, so explicit defaults and
// unknown fields are tolerated. Also renders any TypedValue for humans.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/protocol/model.h"

namespace statefun::types {

inline constexpr std::string_view kBool = "io.statefun.types/bool";
inline constexpr std::string_view kInt = "io.statefun.types/int";
inline constexpr std::string_view kLong = "io.statefun.types/long";
inline constexpr std::string_view kFloat = "io.statefun.types/float";
inline constexpr std::string_view kDouble = "io.statefun.types/double";
inline constexpr std::string_view kString = "io.statefun.types/string";
inline constexpr std::string_view kPlaygroundEgressRecord = "io.statefun.playground/EgressRecord";
inline constexpr std::string_view kKafkaProducerRecord =
    "type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord";
inline constexpr std::string_view kKinesisEgressRecord =
    "type.googleapis.com/io.statefun.sdk.egress.KinesisEgressRecord";

std::string encode_bool(bool value);
std::string encode_int(int32_t value);
std::string encode_long(int64_t value);
std::string encode_float(float value);
std::string encode_double(double value);
std::string encode_string(std::string_view value);

std::optional<bool> decode_bool(std::string_view bytes);
std::optional<int32_t> decode_int(std::string_view bytes);
std::optional<int64_t> decode_long(std::string_view bytes);
std::optional<float> decode_float(std::string_view bytes);
std::optional<double> decode_double(std::string_view bytes);
std::optional<std::string> decode_string(std::string_view bytes);

// Lower-case hex of at most `max_bytes` bytes, ".." appended when cut short.
std::string hex(std::string_view bytes, std::size_t max_bytes);

// A one-line human rendering: well-known types decoded, JSON shown as
// compact text, other printable UTF-8 as a quoted string, anything else as
// hex with its length. Never longer than `max_chars` (ellipsized).
std::string render(const TypedValue& value, std::size_t max_chars = 200);

}  // namespace statefun::types
