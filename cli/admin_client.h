// A small client of the admin API of a running `statefun dev`
// (docs/admin-api.md), on 127.0.0.1. Answers are JSON; an error answer
// becomes an Error whose code follows the HTTP status (400 invalid
// argument, 404 not found, 408 timeout, 503 unavailable), and a refused
// connection is kUnavailable ("no emulator running ...").
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "cli/output.h"
#include "emulator/config/default_ports.h"

namespace statefun::cli {

struct AdminClientOptions {
  int port = emulator::kDefaultAdminPort;
  std::string token;  // sent as `Authorization: Bearer <token>` when set
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};  // per request
};

class AdminClient {
 public:
  explicit AdminClient(AdminClientOptions options);
  ~AdminClient();
  AdminClient(const AdminClient&) = delete;
  AdminClient& operator=(const AdminClient&) = delete;

  Result<Json> get(const std::string& path);
  Result<Json> post(const std::string& path, const Json& body);
  Result<Json> put(const std::string& path, const Json& body);
  Result<Json> del(const std::string& path);
  // GET that returns the raw text (Prometheus metrics).
  Result<std::string> get_text(const std::string& path);

  // Reads a server-sent-events stream, calling `on_event(kind, data)` per
  // event until it returns false or the server ends the stream.
  Result<void> stream(const std::string& path,
                      const std::function<bool(const std::string&, const std::string&)>& on_event);

  // "127.0.0.1:8092"
  std::string where() const;
  int port() const { return m_options.port; }

 private:
  struct Impl;
  AdminClientOptions m_options;
  std::unique_ptr<Impl> m_impl;
};

// Percent-encodes one path segment or query value.
std::string url_encode(std::string_view text);

}  // namespace statefun::cli
