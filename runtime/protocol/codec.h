// Translates between our plain model types (runtime/protocol/model.h) and the
// request-reply protobuf bytes (docs/protocol.md).
//
// Encoding follows the runtime's conventions exactly: the caller field is
// omitted for ingress messages, a state without a value is an entry without
// `state_value`, and a present zero-byte value keeps has_value = true.
// Decoding accepts fields in any order, skips unknown fields and reads an
// empty body as an empty InvocationResponse.
#pragma once

#include <string>
#include <string_view>

#include "runtime/core/result.h"
#include "runtime/protocol/model.h"

namespace statefun::codec {

// Serializes a ToFunction{invocation = request}.
std::string encode_request(const BatchRequest& request);

// Parses a FromFunction. Empty input, or input with neither oneof member, is
// an empty InvocationResult. Malformed protobuf is kInvalidArgument.
Result<FunctionResponse> decode_response(std::string_view bytes);

// The reverse directions, used by the C++ SDK and by tests.
Result<BatchRequest> decode_request(std::string_view bytes);
std::string encode_response(const FunctionResponse& response);

}  // namespace statefun::codec
