// Undoes the Content-Encoding of a function's response. The loop client sends
// "Accept-Encoding: gzip,deflate" like the async transport, so servers may
// compress their replies; httplib does the same for the worker client.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace statefun::detail {

enum class DecodeResult {
  kOk,
  kTooLarge,     // the decoded bytes would exceed the limit
  kCorrupt,      // not a valid (complete) stream of its encoding
  kUnsupported,  // an encoding we never asked for (anything but gzip, deflate, identity)
};

// Replaces `body`, encoded as `content_encoding` (the header's value; empty
// means none), by its decoded bytes, at most `max_bytes` of them. gzip and
// deflate both mean a zlib stream with either header, as httplib reads them.
// With `prefix_only` the body may be cut short (an error body kept in part):
// whatever decodes is kept, at most `max_bytes`, and the result is kOk.
DecodeResult decode_content(std::string_view content_encoding, std::string& body,
                            std::size_t max_bytes, bool prefix_only);

}  // namespace statefun::detail
