#include "cli/admin_client.h"

#include <fmt/format.h>
#include <httplib.h>

namespace statefun::cli {
namespace {

ErrorCode code_for_status(int status) {
  switch (status) {
    case 400:
      return ErrorCode::kInvalidArgument;
    case 404:
      return ErrorCode::kNotFound;
    case 408:
      return ErrorCode::kTimeout;
    case 409:
      return ErrorCode::kFailedPrecondition;
    case 503:
      return ErrorCode::kUnavailable;
    default:
      return ErrorCode::kIo;
  }
}

}  // namespace

struct AdminClient::Impl {
  httplib::Client client;
  httplib::Headers headers;
  explicit Impl(int port) : client("127.0.0.1", port) {}
};

AdminClient::AdminClient(AdminClientOptions options)
    : m_options(std::move(options)), m_impl(std::make_unique<Impl>(m_options.port)) {
  auto& c = m_impl->client;
  c.set_connection_timeout(std::chrono::seconds(2));
  c.set_read_timeout(m_options.timeout);
  c.set_write_timeout(m_options.timeout);
  c.set_keep_alive(true);
  if (!m_options.token.empty()) {
    m_impl->headers.emplace("Authorization", "Bearer " + m_options.token);
  }
}

AdminClient::~AdminClient() = default;

std::string AdminClient::where() const { return fmt::format("127.0.0.1:{}", m_options.port); }

namespace {

Result<Json> interpret(const httplib::Result& result, const std::string& where) {
  if (!result) {
    if (result.error() == httplib::Error::Connection) {
      return make_error(ErrorCode::kUnavailable,
                        fmt::format("no emulator running: nothing answers on {} (start one with "
                                    "'statefun dev', or pass --admin-port)",
                                    where));
    }
    if (result.error() == httplib::Error::Read) {
      return make_error(ErrorCode::kTimeout,
                        fmt::format("the admin API on {} did not answer in time", where));
    }
    return make_error(ErrorCode::kUnavailable, fmt::format("admin API on {}: {}", where,
                                                           httplib::to_string(result.error())));
  }
  const int status = result->status;
  auto body = Json::parse(result->body, nullptr, false);
  if (status == 401) {
    return make_error(ErrorCode::kFailedPrecondition,
                      fmt::format("the admin API on {} wants a bearer token: set "
                                  "STATEFUN_ADMIN_TOKEN to the one statefun dev was started with",
                                  where));
  }
  if (status >= 200 && status < 300) {
    if (body.is_discarded()) {
      return make_error(ErrorCode::kIo,
                        fmt::format("the admin API on {} answered non-JSON", where));
    }
    return body;
  }
  std::string message = fmt::format("admin API answered HTTP {}", status);
  if (!body.is_discarded() && body.is_object() && body.contains("error")) {
    message = body["error"].get<std::string>();
  }
  return make_error(code_for_status(status), message);
}

}  // namespace

Result<Json> AdminClient::get(const std::string& path) {
  return interpret(m_impl->client.Get(path, m_impl->headers), where());
}

Result<Json> AdminClient::post(const std::string& path, const Json& body) {
  return interpret(m_impl->client.Post(path, m_impl->headers,
                                       body.dump(-1, ' ', false, Json::error_handler_t::replace),
                                       "application/json"),
                   where());
}

Result<Json> AdminClient::put(const std::string& path, const Json& body) {
  return interpret(m_impl->client.Put(path, m_impl->headers,
                                      body.dump(-1, ' ', false, Json::error_handler_t::replace),
                                      "application/json"),
                   where());
}

Result<Json> AdminClient::del(const std::string& path) {
  return interpret(m_impl->client.Delete(path, m_impl->headers), where());
}

Result<std::string> AdminClient::get_text(const std::string& path) {
  auto result = m_impl->client.Get(path, m_impl->headers);
  if (!result || result->status != 200) {
    auto error = interpret(result, where());
    if (!error) return std::unexpected(error.error());
    return make_error(ErrorCode::kIo, "unexpected answer");
  }
  return result->body;
}

Result<void> AdminClient::stream(
    const std::string& path,
    const std::function<bool(const std::string&, const std::string&)>& on_event) {
  // A separate connection that may stay silent between keep-alives.
  httplib::Client client("127.0.0.1", m_options.port);
  client.set_connection_timeout(std::chrono::seconds(2));
  client.set_read_timeout(std::chrono::hours(24));
  std::string buffer, kind, data;
  bool stopped = false;
  int status = 0;
  std::string error_body;
  auto result = client.Get(
      path, m_impl->headers,
      [&](const httplib::Response& response) {
        status = response.status;
        return true;
      },
      [&](const char* chunk, std::size_t length) {
        if (status != 200) {
          error_body.append(chunk, length);
          return true;
        }
        buffer.append(chunk, length);
        std::size_t newline;
        while ((newline = buffer.find('\n')) != std::string::npos) {
          std::string line = buffer.substr(0, newline);
          buffer.erase(0, newline + 1);
          if (!line.empty() && line.back() == '\r') line.pop_back();
          if (line.empty()) {
            if (!kind.empty() || !data.empty()) {
              if (!on_event(kind.empty() ? "message" : kind, data)) {
                stopped = true;
                return false;
              }
            }
            kind.clear();
            data.clear();
          } else if (line.rfind("event:", 0) == 0) {
            kind = line.substr(line.size() > 6 && line[6] == ' ' ? 7 : 6);
          } else if (line.rfind("data:", 0) == 0) {
            if (!data.empty()) data += '\n';
            data += line.substr(line.size() > 5 && line[5] == ' ' ? 6 : 5);
          }
        }
        return true;
      });
  if (stopped) return {};
  if (!result || status != 200) {
    if (result) result->body = error_body;
    auto error = interpret(result, where());
    if (!error) return std::unexpected(error.error());
  }
  return {};
}

std::string url_encode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

}  // namespace statefun::cli
