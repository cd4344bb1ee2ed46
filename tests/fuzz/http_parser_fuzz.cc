// libFuzzer target: our wrapper around http-parser (runtime/net/http_message).
// The first byte picks requests or responses and how the rest is cut into
// reads; whatever arrives, the parser must end in a defined state, never
// consume more than it was given, and reach the same result whether the
// bytes come in one read or in pieces.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "runtime/net/http_message.h"

using statefun::net::HttpParser;

namespace {

struct Outcome {
  HttpParser::State state;
  std::string method, target, body;
  int status;
  std::size_t headers;
  std::size_t used;
};

Outcome parse(HttpParser::Kind kind, const uint8_t* data, std::size_t size, std::size_t piece) {
  HttpParser::Limits limits;
  limits.max_header_bytes = 4096;
  limits.max_body_bytes = 8192;
  HttpParser parser(kind, limits);
  std::size_t used = 0;
  while (used < size && parser.state() != HttpParser::State::kComplete &&
         parser.state() != HttpParser::State::kError) {
    const std::size_t n = std::min(piece, size - used);
    const std::size_t took = parser.feed(reinterpret_cast<const char*>(data) + used, n);
    if (took > n) std::abort();
    used += took;
    if (took < n && parser.state() != HttpParser::State::kComplete &&
        parser.state() != HttpParser::State::kError) {
      std::abort();  // stopped short without an end or an error
    }
  }
  if (parser.state() == HttpParser::State::kReading ||
      parser.state() == HttpParser::State::kHeadersDone) {
    parser.finish();
  }
  const auto& m = parser.message();
  return {parser.state(), m.method, m.target, m.body, m.status, m.headers.size(), used};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto kind = (data[0] & 1) ? HttpParser::Kind::kResponse : HttpParser::Kind::kRequest;
  const std::size_t piece = 1 + (data[0] >> 1) % 17;
  ++data;
  --size;
  const Outcome whole = parse(kind, data, size, size ? size : 1);
  const Outcome pieces = parse(kind, data, size, piece);
  if (whole.state != pieces.state) std::abort();
  if (whole.state == HttpParser::State::kComplete &&
      (whole.method != pieces.method || whole.target != pieces.target ||
       whole.body != pieces.body || whole.status != pieces.status ||
       whole.headers != pieces.headers || whole.used != pieces.used)) {
    std::abort();
  }
  return 0;
}
