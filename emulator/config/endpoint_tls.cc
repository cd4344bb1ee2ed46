#include "emulator/config/endpoint_tls.h"

#include <fmt/format.h>

#include <array>
#include <filesystem>
#include <optional>
#include <string_view>

#include "runtime/client/tls_files.h"
#include "runtime/core/url.h"

namespace statefun::emulator {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kFilePrefix = "file:";
constexpr std::string_view kClasspathPrefix = "classpath:";

// One file of the settings, with where it was configured.
struct Chosen {
  std::string path;
  std::string where;
};

// The TlsOptions, and for each file the place that named it.
struct ResolvedTls {
  TlsOptions options;
  std::array<std::optional<Chosen>, 4> sources;  // indexed by TlsFile
};

std::size_t index_of(TlsFile file) { return static_cast<std::size_t>(file); }

// module.yaml's value as a path on this machine: StateFun takes `file:` and
// `classpath:` prefixes; only the first names a file statefun dev can read.
Result<std::string> module_path_of(const ConfiguredPath& value, std::string_view dev_key,
                                   const std::string& module_path) {
  std::string_view path = value.path;
  if (path.starts_with(kClasspathPrefix)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{}: \"{}\" is a resource on the Java class path, which statefun "
                                  "dev cannot read; give a file path, or set tls.{} in "
                                  "statefun.yaml",
                                  value.where, value.path, dev_key));
  }
  if (path.starts_with(kFilePrefix)) path.remove_prefix(kFilePrefix.size());
  // StateFun reads a relative path from the JVM's working directory; here
  // module.yaml's folder stands in for it.
  const fs::path base = fs::path(module_path).parent_path();
  return (base / fs::path(path)).lexically_normal().string();
}

Result<ResolvedTls> resolve(const HttpEndpointSpec& endpoint, const std::string& module_path,
                            const DevTls& dev) {
  struct Field {
    TlsFile file;
    const std::optional<ConfiguredPath>& from_dev;
    const std::optional<ConfiguredPath>& from_module;
    std::string_view dev_key;
    std::string TlsOptions::*target;
  };
  const std::array<Field, 4> fields = {{
      {TlsFile::kCa, dev.ca, endpoint.tls.trust_cacerts, "ca", &TlsOptions::ca_file},
      {TlsFile::kClientCert, dev.client_cert, endpoint.tls.client_cert, "client_cert",
       &TlsOptions::client_cert_file},
      {TlsFile::kClientKey, dev.client_key, endpoint.tls.client_key, "client_key",
       &TlsOptions::client_key_file},
      {TlsFile::kClientKeyPassword, dev.client_key_password_file, endpoint.tls.client_key_password,
       "client_key_password_file", &TlsOptions::client_key_password_file},
  }};
  ResolvedTls resolved;
  resolved.options.insecure_skip_verify = dev.insecure_skip_verify;
  for (const Field& field : fields) {
    std::optional<Chosen> chosen;
    if (field.from_dev) {
      chosen = Chosen{field.from_dev->path, field.from_dev->where};
    } else if (field.from_module) {
      auto path = module_path_of(*field.from_module, field.dev_key, module_path);
      if (!path) return std::unexpected(path.error());
      chosen = Chosen{*path, field.from_module->where};
    }
    if (!chosen) continue;
    resolved.options.*field.target = chosen->path;
    resolved.sources[index_of(field.file)] = std::move(chosen);
  }
  return resolved;
}

Result<void> check_files(const ResolvedTls& resolved) {
  auto checked = check_tls_files(resolved.options);
  if (checked) return {};
  const auto& source = resolved.sources[index_of(checked.error().file)];
  // A problem of a pair (a key without its certificate) is pinned on the
  // one that is there.
  const std::string where = source ? source->where : "tls";
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("{}: {}", where, checked.error().message));
}

bool is_https(const HttpEndpointSpec& endpoint) {
  auto url = parse_url(endpoint.url_path_template, UrlSchemes::kHttpAndUnixSockets);
  return url && url->scheme == "https";
}

}  // namespace

Result<TlsOptions> endpoint_tls(const HttpEndpointSpec& endpoint, const std::string& module_path,
                                const DevTls& dev) {
  auto resolved = resolve(endpoint, module_path, dev);
  if (!resolved) return std::unexpected(resolved.error());
  return resolved->options;
}

Result<void> check_endpoint_tls(const ModuleConfig& module, const DevTls& dev) {
  // The CA file stands alone, so it is checked even before an https
  // endpoint uses it; a client certificate and key are checked as a pair,
  // which may come half from each file, per endpoint.
  ResolvedTls ca_only;
  if (dev.ca) {
    ca_only.options.ca_file = dev.ca->path;
    ca_only.sources[index_of(TlsFile::kCa)] = Chosen{dev.ca->path, dev.ca->where};
  }
  if (auto checked = check_files(ca_only); !checked) return checked;
  for (const auto& endpoint : module.endpoints) {
    if (!is_https(endpoint)) continue;
    auto resolved = resolve(endpoint, module.path, dev);
    if (!resolved) return std::unexpected(resolved.error());
    if (auto checked = check_files(*resolved); !checked) return checked;
  }
  return {};
}

std::string insecure_tls_warning(const DevTls& dev) {
  if (!dev.insecure_skip_verify) return "";
  return fmt::format(
      "{}: INSECURE: the certificates of https function endpoints are NOT verified; any "
      "server, or anyone in between, can answer as your functions. For self-signed dev "
      "certificates only: trust their CA with tls.ca instead",
      dev.insecure_skip_verify_where.empty() ? "tls.insecure_skip_verify"
                                             : dev.insecure_skip_verify_where);
}

}  // namespace statefun::emulator
