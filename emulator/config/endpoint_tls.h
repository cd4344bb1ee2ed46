// What TLS settings each https endpoint is called with: module.yaml's async
// transport fields, each overridden by statefun.yaml's `tls:` when that sets
// it, and whether the files they name can be used.
//
// check_endpoint_tls runs when the configuration loads (at start and on
// every reload), so a file that does not read or parse is one error naming
// the file and the field, e.g.
//   statefun.yaml:3:7: tls.ca: /certs/ca.pem: cannot read the file (No such file or directory)
// rather than a failure on every call.
#pragma once

#include <string>

#include "emulator/config/module_config.h"
#include "emulator/config/tls_settings.h"
#include "runtime/client/function_client.h"
#include "runtime/core/result.h"

namespace statefun::emulator {

// The settings for `endpoint` (module.yaml at `module_path`, whose folder
// relative paths are resolved against). Errors name the field: a
// `classpath:` resource statefun.yaml does not override, for one.
Result<TlsOptions> endpoint_tls(const HttpEndpointSpec& endpoint, const std::string& module_path,
                                const DevTls& dev);

// endpoint_tls for every https endpoint, with every file read; and
// statefun.yaml's files even when no endpoint uses them yet.
Result<void> check_endpoint_tls(const ModuleConfig& module, const DevTls& dev);

// The console warning for insecure_skip_verify; empty when it is off.
std::string insecure_tls_warning(const DevTls& dev);

}  // namespace statefun::emulator
