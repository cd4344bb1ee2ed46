#include "emulator/surfaces/request_guard.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace statefun::emulator {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// "name:port" -> "name"; "[::1]:8092" -> "::1".
std::string host_name(const std::string& host) {
  if (!host.empty() && host.front() == '[') {
    const auto close = host.find(']');
    return close == std::string::npos ? host : host.substr(1, close - 1);
  }
  const auto colon = host.find(':');
  return colon == std::string::npos ? host : host.substr(0, colon);
}

bool is_write(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

bool is_json(const std::string& content_type) {
  std::string media = lower(content_type.substr(0, content_type.find(';')));
  media.erase(media.find_last_not_of(" \t") + 1);
  return media == "application/json";
}

// 127.a.b.c, each part a decimal number up to 255.
bool is_loopback_ipv4(const std::string& name) {
  if (!name.starts_with("127.")) return false;
  int parts = 0, digits = 0, value = 0;
  for (char c : name) {
    if (c == '.') {
      if (digits == 0) return false;
      ++parts;
      digits = value = 0;
    } else if (c >= '0' && c <= '9' && digits < 3) {
      value = value * 10 + (c - '0');
      ++digits;
      if (value > 255) return false;
    } else {
      return false;
    }
  }
  return parts == 3 && digits > 0;
}

}  // namespace

bool is_loopback_name(const std::string& host) {
  const std::string name = lower(host);
  return name == "localhost" || name == "localhost." || name == "::1" || is_loopback_ipv4(name);
}

std::optional<Refusal> check_request(const GuardedRequest& request, const GuardPolicy& policy) {
  if (policy.check_host && request.host) {
    const std::string name = lower(host_name(*request.host));
    if (!is_loopback_name(name) && name != lower(policy.listen_host)) {
      return Refusal{403, fmt::format("Host '{}' is not a loopback name: use localhost or "
                                      "127.0.0.1 (requests under other names could come from a "
                                      "web page through DNS rebinding)",
                                      *request.host)};
    }
  }
  if (!is_write(request.method)) return std::nullopt;
  if (policy.check_origin && request.origin) {
    const bool same = request.host && lower(*request.origin) == "http://" + lower(*request.host);
    if (!same) {
      return Refusal{403, fmt::format("cross-origin {} from '{}' refused: a web page may not "
                                      "write through this API",
                                      request.method, *request.origin)};
    }
  }
  if (policy.require_json_writes && request.has_body &&
      !(request.content_type && is_json(*request.content_type))) {
    return Refusal{415, fmt::format("{} with a body must have Content-Type: application/json "
                                    "(got '{}')",
                                    request.method, request.content_type.value_or(""))};
  }
  return std::nullopt;
}

}  // namespace statefun::emulator
