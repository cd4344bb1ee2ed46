#include "runtime/net/http_message.h"

#include <http_parser.h>

#include <algorithm>
#include <cctype>
#include <string>

namespace statefun::net {
namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

HttpParser* owner(http_parser* parser) { return static_cast<HttpParser*>(parser->data); }

bool is_success(int status) { return status >= 200 && status <= 299; }

}  // namespace

const std::string* HttpMessage::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (equals_ignoring_case(h.name, name)) return &h.value;
  }
  return nullptr;
}

std::vector<std::string_view> HttpMessage::headers_named(std::string_view name) const {
  std::vector<std::string_view> values;
  for (const auto& h : headers) {
    if (equals_ignoring_case(h.name, name)) values.emplace_back(h.value);
  }
  return values;
}

// http-parser calls back into plain C functions; these forward to the parser
// object (friend access keeps the state private).
struct ParserCallbacks {
  static int on_url(http_parser* p, const char* at, std::size_t size) {
    owner(p)->m_message.target.append(at, size);
    return 0;
  }
  static int on_status(http_parser* p, const char* at, std::size_t size) {
    owner(p)->m_message.reason.append(at, size);
    return 0;
  }
  static int on_header_field(http_parser* p, const char* at, std::size_t size) {
    auto& self = *owner(p);
    if (self.m_in_value || self.m_message.headers.empty()) {
      self.m_message.headers.emplace_back();
      self.m_in_value = false;
    }
    self.m_message.headers.back().name.append(at, size);
    return 0;
  }
  static int on_header_value(http_parser* p, const char* at, std::size_t size) {
    auto& self = *owner(p);
    if (self.m_message.headers.empty()) self.m_message.headers.emplace_back();
    self.m_message.headers.back().value.append(at, size);
    self.m_in_value = true;
    return 0;
  }
  static int on_headers_complete(http_parser* p) {
    auto& self = *owner(p);
    auto& message = self.m_message;
    message.keep_alive = http_should_keep_alive(p) != 0;
    if (self.m_kind == HttpParser::Kind::kRequest) {
      message.method = http_method_str(static_cast<http_method>(p->method));
      const std::string* expect = message.header("Expect");
      message.expects_continue = expect && equals_ignoring_case(*expect, "100-continue");
    } else {
      message.status = static_cast<int>(p->status_code);
    }
    if ((p->flags & F_CONTENTLENGTH) && p->content_length > self.m_limits.max_body_bytes &&
        (self.m_kind == HttpParser::Kind::kRequest || is_success(message.status))) {
      self.fail("body larger than " + std::to_string(self.m_limits.max_body_bytes) + " bytes",
                true);
      // Not `return 1`: from this callback that means "no body follows".
      http_parser_pause(p, 1);
      return 0;
    }
    self.m_state = HttpParser::State::kHeadersDone;
    return 0;
  }
  static int on_body(http_parser* p, const char* at, std::size_t size) {
    auto& self = *owner(p);
    auto& body = self.m_message.body;
    if (self.m_kind == HttpParser::Kind::kResponse && !is_success(self.m_message.status)) {
      const std::size_t room = self.m_limits.kept_error_body_bytes -
                               std::min(self.m_limits.kept_error_body_bytes, body.size());
      body.append(at, std::min(room, size));
      return 0;
    }
    if (body.size() + size > self.m_limits.max_body_bytes) {
      self.fail("body larger than " + std::to_string(self.m_limits.max_body_bytes) + " bytes",
                true);
      return 1;
    }
    body.append(at, size);
    return 0;
  }
  static int on_message_complete(http_parser* p) {
    owner(p)->m_state = HttpParser::State::kComplete;
    http_parser_pause(p, 1);  // stop here: what follows is the next message
    return 0;
  }

  static const http_parser_settings& settings() {
    static const http_parser_settings table = [] {
      http_parser_settings s;
      http_parser_settings_init(&s);
      s.on_url = on_url;
      s.on_status = on_status;
      s.on_header_field = on_header_field;
      s.on_header_value = on_header_value;
      s.on_headers_complete = on_headers_complete;
      s.on_body = on_body;
      s.on_message_complete = on_message_complete;
      return s;
    }();
    return table;
  }
};

HttpParser::HttpParser(Kind kind, Limits limits)
    : m_kind(kind), m_limits(limits), m_parser(std::make_unique<http_parser>()) {
  reset();
}

HttpParser::~HttpParser() = default;

void HttpParser::reset() {
  http_parser_init(m_parser.get(), m_kind == Kind::kRequest ? HTTP_REQUEST : HTTP_RESPONSE);
  m_parser->data = this;
  m_state = State::kReading;
  m_message = HttpMessage{};
  m_in_value = false;
  m_too_large = false;
  m_bytes_seen = 0;
  m_error.clear();
}

void HttpParser::fail(std::string why, bool too_large) {
  m_state = State::kError;
  m_too_large = too_large;
  m_error = std::move(why);
}

std::size_t HttpParser::feed(const char* data, std::size_t size) {
  if (m_state == State::kComplete || m_state == State::kError || size == 0) return 0;
  const std::size_t used =
      http_parser_execute(m_parser.get(), &ParserCallbacks::settings(), data, size);
  m_bytes_seen += used;
  if (m_state == State::kError) return used;
  const auto error = HTTP_PARSER_ERRNO(m_parser.get());
  if (error == HPE_PAUSED) return used;  // one complete message
  if (error != HPE_OK) {
    fail(http_errno_description(error));
  } else if (m_state != State::kHeadersDone && m_bytes_seen > m_limits.max_header_bytes) {
    fail("headers larger than " + std::to_string(m_limits.max_header_bytes) + " bytes");
  } else if (m_parser->upgrade) {
    fail("protocol upgrades are not supported");
  }
  return used;
}

void HttpParser::finish() {
  if (m_state == State::kComplete || m_state == State::kError) return;
  http_parser_execute(m_parser.get(), &ParserCallbacks::settings(), nullptr, 0);
  if (m_state == State::kComplete) return;
  fail(m_bytes_seen == 0 ? "connection closed" : "connection closed before the message ended");
}

}  // namespace statefun::net
