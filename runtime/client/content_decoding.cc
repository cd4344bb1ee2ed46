#include "runtime/client/content_decoding.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <utility>

namespace statefun::detail {
namespace {

constexpr std::size_t kInflateStep = 16 * 1024;

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::ranges::equal(
      a, b, [](unsigned char x, unsigned char y) { return std::tolower(x) == std::tolower(y); });
}

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpaces = " \t";
  const auto first = text.find_first_not_of(kSpaces);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpaces) - first + 1);
}

// Owns a zlib inflate stream so every exit path frees it.
class Inflater {
 public:
  Inflater() {
    // 32 + MAX_WBITS: accept a gzip or a zlib header, whichever comes.
    m_ready = inflateInit2(&m_stream, 32 + MAX_WBITS) == Z_OK;
  }
  ~Inflater() {
    if (m_ready) inflateEnd(&m_stream);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  DecodeResult run(const std::string& input, std::string& output, std::size_t max_bytes,
                   bool prefix_only) {
    if (!m_ready) return DecodeResult::kCorrupt;
    m_stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    m_stream.avail_in = static_cast<uInt>(input.size());
    // One byte past the limit tells "exactly max_bytes" from "more".
    const std::size_t cap = max_bytes == SIZE_MAX ? max_bytes : max_bytes + 1;
    while (true) {
      const std::size_t produced = output.size();
      const std::size_t room = std::min(kInflateStep, cap - produced);
      output.resize(produced + room);
      m_stream.next_out = reinterpret_cast<Bytef*>(output.data() + produced);
      m_stream.avail_out = static_cast<uInt>(room);
      const int status = inflate(&m_stream, Z_NO_FLUSH);
      output.resize(produced + room - m_stream.avail_out);
      if (output.size() > max_bytes) {
        output.resize(max_bytes);
        return prefix_only ? DecodeResult::kOk : DecodeResult::kTooLarge;
      }
      if (status == Z_STREAM_END) return DecodeResult::kOk;
      // Output space ran out: there may be more to come.
      if (status == Z_OK && m_stream.avail_out == 0) continue;
      // Input ran out before the stream ended, or the data is invalid.
      return prefix_only ? DecodeResult::kOk : DecodeResult::kCorrupt;
    }
  }

 private:
  z_stream m_stream{};
  bool m_ready = false;
};

}  // namespace

DecodeResult decode_content(std::string_view content_encoding, std::string& body,
                            std::size_t max_bytes, bool prefix_only) {
  const std::string_view encoding = trim(content_encoding);
  if (encoding.empty() || equals_ignoring_case(encoding, "identity")) return DecodeResult::kOk;
  if (!equals_ignoring_case(encoding, "gzip") && !equals_ignoring_case(encoding, "x-gzip") &&
      !equals_ignoring_case(encoding, "deflate")) {
    return DecodeResult::kUnsupported;
  }
  std::string decoded;
  const DecodeResult result = Inflater().run(body, decoded, max_bytes, prefix_only);
  if (result == DecodeResult::kOk) body = std::move(decoded);
  return result;
}

}  // namespace statefun::detail
