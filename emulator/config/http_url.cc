#include "emulator/config/http_url.h"

#include <fmt/format.h>

#include <charconv>

namespace statefun::emulator {

std::string HttpUrl::str() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  const std::string shown_host = ipv6 ? "[" + host + "]" : host;
  if (!explicit_port) return fmt::format("{}://{}{}", scheme, shown_host, path);
  return fmt::format("{}://{}:{}{}", scheme, shown_host, port, path);
}

std::optional<HttpUrl> parse_http_url(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  HttpUrl out;
  out.scheme = std::string(url.substr(0, scheme_end));
  if (out.scheme != "http" && out.scheme != "https") return std::nullopt;
  std::string_view rest = url.substr(scheme_end + 3);
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  out.path = slash == std::string_view::npos ? "" : std::string(rest.substr(slash));
  out.port = out.scheme == "https" ? 443 : 80;
  if (authority.starts_with("[")) {  // [::1]:8000
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    authority = authority.substr(close + 1);
    if (!authority.empty() && !authority.starts_with(":")) return std::nullopt;
  } else {
    const auto colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    authority = colon == std::string_view::npos ? "" : authority.substr(colon);
  }
  if (authority.starts_with(":")) {
    const std::string_view digits = authority.substr(1);
    int port = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (error != std::errc() || end != digits.data() + digits.size() || port < 1 || port > 65535) {
      return std::nullopt;
    }
    out.port = port;
    out.explicit_port = true;
  }
  if (out.host.empty()) return std::nullopt;
  return out;
}

std::string map_host(const std::string& url, const std::map<std::string, std::string>& hosts) {
  auto parts = parse_http_url(url);
  if (!parts) return url;
  auto it = hosts.find(parts->host);
  if (it == hosts.end()) return url;
  // The target is "host" or "host:port"; reuse the parser for the latter.
  auto target = parse_http_url(parts->scheme + "://" + it->second);
  if (!target) return url;
  parts->host = target->host;
  if (target->explicit_port) {
    parts->port = target->port;
    parts->explicit_port = true;
  }
  return parts->str();
}

bool is_local_host(std::string_view host) {
  return host == "localhost" || host.starts_with("127.") || host == "::1" || host == "0.0.0.0" ||
         host == "::" || host.ends_with(".localhost");
}

}  // namespace statefun::emulator
