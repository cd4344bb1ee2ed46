// HTTP/1.1 messages read incrementally off a socket: requests for our
// servers, responses for our function client. The parsing itself is the
// Debian-packaged http-parser (the parser Node.js shipped for a decade);
// this wrapper collects one message at a time and stops at its end, so
// pipelined bytes stay in the caller's buffer for the next message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct http_parser;

namespace statefun::net {

struct HttpHeader {
  std::string name;  // as received
  std::string value;
};

struct HttpMessage {
  std::string method;  // requests: "GET", "POST", ...
  std::string target;  // requests: path[?query] as sent
  int status = 0;      // responses
  std::string reason;  // responses: the reason phrase as sent ("Not Found")
  std::vector<HttpHeader> headers;
  std::string body;               // de-chunked
  bool keep_alive = true;         // the connection may carry another message
  bool expects_continue = false;  // a request with "Expect: 100-continue"

  // The first header called `name` (case-insensitive), or nullptr.
  const std::string* header(std::string_view name) const;
  // Every header called `name`, in order.
  std::vector<std::string_view> headers_named(std::string_view name) const;
};

class HttpParser {
 public:
  enum class Kind { kRequest, kResponse };
  struct Limits {
    std::size_t max_header_bytes = 64 * 1024;
    std::size_t max_body_bytes = 64u * 1024u * 1024u;
    // Responses with a status outside 2xx keep only this much of their body
    // (it only feeds a one-line error); the rest is read and dropped.
    std::size_t kept_error_body_bytes = 4096;
  };
  enum class State {
    kReading,      // needs more bytes
    kHeadersDone,  // headers are in message(), the body is still coming
    kComplete,     // one whole message is in message()
    kError,        // malformed or over a limit; see error()
  };

  HttpParser(Kind kind, Limits limits);
  ~HttpParser();
  HttpParser(const HttpParser&) = delete;
  HttpParser& operator=(const HttpParser&) = delete;

  // Parses up to the end of the current message and returns how many bytes
  // it used; bytes after the message are left for the next one.
  std::size_t feed(const char* data, std::size_t size);
  // The peer closed the connection: completes a response whose body runs
  // to the end of the stream, or fails a message cut short.
  void finish();
  // Forgets the message and starts on the next one.
  void reset();

  State state() const { return m_state; }
  bool too_large() const { return m_too_large; }
  // One line: what was wrong ("invalid character in header", "body larger than ...").
  const std::string& error() const { return m_error; }
  HttpMessage& message() { return m_message; }
  // Bytes of the current message consumed so far (headers included).
  std::size_t bytes_seen() const { return m_bytes_seen; }

 private:
  friend struct ParserCallbacks;
  void fail(std::string why, bool too_large = false);

  Kind m_kind;
  Limits m_limits;
  std::unique_ptr<http_parser> m_parser;
  State m_state = State::kReading;
  HttpMessage m_message;
  bool m_in_value = false;  // the last header callback was a value
  bool m_too_large = false;
  std::size_t m_bytes_seen = 0;
  std::string m_error;
};

}  // namespace statefun::net
