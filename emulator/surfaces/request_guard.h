// What keeps a web page in the user's browser from driving statefun dev
// through its loopback ports (issue 14): checks on one HTTP request that
// need nothing but its method and headers, shared by the admin API and the
// playground surfaces, so they are unit-testable without sockets.
//
// - Host: a DNS-rebinding page reaches 127.0.0.1 under a name of its own;
//   only loopback names (localhost, 127.0.0.1, [::1], any port) and the
//   configured listen address are answered. A request without Host (an
//   HTTP/1.0 client; browsers always send one) passes.
// - Origin: a write (POST, PUT, PATCH, DELETE) that a browser marked as
//   coming from another origin is refused; same-origin means
//   `http://<the request's Host>`.
// - Content-Type: writes with a body must say application/json (parameters
//   allowed), which a page cannot send cross-origin without a CORS preflight
//   we never grant.
#pragma once

#include <optional>
#include <string>

namespace statefun::emulator {

struct GuardedRequest {
  std::string method;
  std::optional<std::string> host;          // the Host header
  std::optional<std::string> origin;        // the Origin header
  std::optional<std::string> content_type;  // the Content-Type header
  bool has_body = false;
};

struct GuardPolicy {
  std::string listen_host = "127.0.0.1";  // also accepted as a Host name
  bool check_host = true;
  bool check_origin = true;
  bool require_json_writes = true;
};

struct Refusal {
  int status;          // 403 (Host, Origin) or 415 (Content-Type)
  std::string reason;  // one line
};

// nullopt when the request may be served.
std::optional<Refusal> check_request(const GuardedRequest& request, const GuardPolicy& policy);

// Whether `host` (a listen address or a Host name without its port) is a
// loopback name: localhost, 127.0.0.0/8, ::1.
bool is_loopback_name(const std::string& host);

}  // namespace statefun::emulator
