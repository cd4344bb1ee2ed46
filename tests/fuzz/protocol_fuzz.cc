// libFuzzer target: the request-reply protocol decoder (runtime/protocol).
// Whatever bytes a function (or a test driving our SDK) sends must decode
// to a value or to an error, never crash; and what decodes must survive an
// encode/decode round trip unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "runtime/protocol/codec.h"

using namespace statefun;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (auto response = codec::decode_response(bytes)) {
    const std::string once = codec::encode_response(*response);
    auto again = codec::decode_response(once);
    if (!again || codec::encode_response(*again) != once) std::abort();
  }
  if (auto request = codec::decode_request(bytes)) {
    const std::string once = codec::encode_request(*request);
    auto again = codec::decode_request(once);
    if (!again || codec::encode_request(*again) != once) std::abort();
  }
  return 0;
}
