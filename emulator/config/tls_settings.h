// The TLS settings of the two files, as written: module.yaml's async
// transport fields (StateFun's own, often container paths) and statefun.yaml's
// `tls:` section, which overrides them on this machine. endpoint_tls.h turns
// them into what the function client uses.
#pragma once

#include <optional>
#include <string>

namespace statefun::emulator {

// A file named in a configuration file, and where it was named, e.g.
//   path  "/etc/certs/ca.pem"
//   where "module.yaml:9:20: document 1 (io.statefun.endpoints.v2/http):
//   spec.transport.trust_cacerts"
// so that a problem with the file can be reported as `<where>: <problem>`.
struct ConfiguredPath {
  std::string path;
  std::string where;

  bool operator==(const ConfiguredPath&) const = default;
};

// io.statefun.transports.v1/async: trust_cacerts (a PEM file, `file:` or
// `classpath:` prefixed, as in StateFun), client_cert, client_key and
// client_key_password (the file holding the key's password). Paths as written.
struct ModuleTls {
  std::optional<ConfiguredPath> trust_cacerts, client_cert, client_key, client_key_password;

  bool operator==(const ModuleTls&) const = default;
};

// statefun.yaml `tls:`; paths absolute (resolved against statefun.yaml's
// folder). A field that is set wins over module.yaml's for every endpoint.
struct DevTls {
  std::optional<ConfiguredPath> ca, client_cert, client_key, client_key_password_file;
  // Accept any server certificate: for self-signed dev certificates only.
  bool insecure_skip_verify = false;
  std::string insecure_skip_verify_where;  // for the startup warning

  bool operator==(const DevTls&) const = default;
};

}  // namespace statefun::emulator
