// Function endpoints: io.statefun.endpoints.v2/http (Jackson-bound, scalars
// coerced) and v1/http (strict YAML types, OkHttp only): the function
// pattern, the URL, batching, the transport and its timeouts.
#include <array>
#include <expected>
#include <limits>
#include <span>

#include "emulator/config/module_config_internal.h"
#include "runtime/core/url.h"

namespace statefun::emulator::module_yaml {
namespace {

using std::chrono::milliseconds;

constexpr std::string_view kAsyncTransport = "io.statefun.transports.v1/async";
constexpr std::string_view kOkHttpTransport = "io.statefun.transports.v1/okhttp";

constexpr std::string_view kFunctionsShape = "<namespace>/<name> or <namespace>/*";

// ---------------------------------------------------------------------------
// Function patterns
// ---------------------------------------------------------------------------

struct FunctionPattern {
  std::string ns;
  std::optional<std::string> name;  // nullopt: every type in the namespace

  std::string binding_key() const { return ns + "/" + name.value_or("*"); }
};

std::expected<FunctionPattern, std::string> parse_function_pattern(std::string_view text) {
  const auto parts = split_runtime_typename(text);
  if (!parts) {
    return std::unexpected("expected " + std::string(kFunctionsShape) + ", got " + in_quotes(text));
  }
  if (parts->ns.find('*') != std::string::npos) {
    return std::unexpected(in_quotes(text) + ": the namespace cannot contain '*'; expected " +
                           std::string(kFunctionsShape));
  }
  if (parts->name == "*") return FunctionPattern{parts->ns, std::nullopt};
  if (parts->name.find('*') != std::string::npos) {
    return std::unexpected(in_quotes(text) + ": a wildcard name must be exactly '*'; expected " +
                           std::string(kFunctionsShape));
  }
  return FunctionPattern{parts->ns, parts->name};
}

Status bind_function(const FunctionPattern& pattern, const YamlMap& spec, ModuleBuild& build) {
  const auto [existing, inserted] =
      build.function_bindings.emplace(pattern.binding_key(), spec.document().number);
  if (inserted) return {};
  return spec.fail("functions", "a binding for " + pattern.binding_key() +
                                    " was already defined in document " +
                                    std::to_string(existing->second));
}

// ---------------------------------------------------------------------------
// URLs
// ---------------------------------------------------------------------------

// Why `url` cannot serve as an endpoint URL, or nullopt if it can. Any
// {function.name} placeholder is plain text to the URL grammar.
std::optional<std::string> url_problem(std::string_view url, TransportKind transport) {
  auto parsed = parse_url(url, UrlSchemes::kHttpAndUnixSockets);
  if (!parsed) return parsed.error().message;
  if (parsed->is_unix_socket() && transport != TransportKind::kOkHttp) {
    return in_quotes(url) + ": Unix socket URLs need transport type " +
           std::string(kOkHttpTransport) + " (the async transport cannot use them)";
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// Transports and timeouts
// ---------------------------------------------------------------------------

Status read_duration(const YamlMap& map, std::string_view key, milliseconds& target) {
  auto duration = optional_duration(map, key);
  if (!duration) return std::unexpected(duration.error());
  if (*duration) target = **duration;
  return {};
}

Status read_non_zero_duration(const YamlMap& map, std::string_view key, milliseconds& target) {
  auto duration = optional_duration(map, key);
  if (!duration) return std::unexpected(duration.error());
  if (!*duration) return {};
  if (**duration == milliseconds::zero()) {
    return map.fail(key, "timeout durations must be larger than 0");
  }
  target = **duration;
  return {};
}

// OkHttp: `timeouts` with call/connect/read/write, all non-zero, none of
// connect/read/write longer than call.
Status read_okhttp_timeouts(const YamlMap& parent, HttpEndpointSpec& endpoint) {
  endpoint.transport = TransportKind::kOkHttp;
  endpoint.call_timeout = std::chrono::minutes(1);
  endpoint.connect_timeout = std::chrono::seconds(10);
  endpoint.read_timeout = std::chrono::seconds(10);
  endpoint.write_timeout = std::chrono::seconds(10);
  auto found_timeouts = parent.optional_map("timeouts");
  if (!found_timeouts) return std::unexpected(found_timeouts.error());
  if (!*found_timeouts) return {};
  const YamlMap& timeouts = **found_timeouts;
  const std::array<std::pair<std::string_view, milliseconds*>, 4> fields = {{
      {"call", &endpoint.call_timeout},
      {"connect", &endpoint.connect_timeout},
      {"read", &endpoint.read_timeout},
      {"write", &endpoint.write_timeout},
  }};
  for (const auto& [key, target] : fields) {
    if (auto status = read_non_zero_duration(timeouts, key, *target); !status) return status;
  }
  for (const auto& [key, value] : std::span(fields).subspan(1)) {
    if (*value > endpoint.call_timeout) {
      return timeouts.fail(key, "must not be longer than the call timeout (" +
                                    std::to_string(value->count()) + " ms" +
                                    (timeouts.has(key) ? "" : ", the default,") + " > " +
                                    std::to_string(endpoint.call_timeout.count()) + " ms)");
    }
  }
  return {};
}

// The async transport's TLS fields, kept as written with where they were
// written: statefun.yaml may override them, so whether a path is usable here
// is decided when the two files meet (endpoint_tls.h).
Status read_tls_settings(const YamlMap& transport, ModuleTls& tls) {
  const std::array<std::pair<std::string_view, std::optional<ConfiguredPath>*>, 4> fields = {{
      {"trust_cacerts", &tls.trust_cacerts},
      {"client_cert", &tls.client_cert},
      {"client_key", &tls.client_key},
      {"client_key_password", &tls.client_key_password},
  }};
  for (const auto& [key, target] : fields) {
    auto text = transport.optional_text(key);
    if (!text) return std::unexpected(text.error());
    if (!*text) continue;
    if ((*text)->empty()) return transport.fail(key, "expected a file path, got \"\"");
    // The message of an empty problem is exactly "<where>: ".
    std::string where = transport.fail(key, "").error().message;
    where.resize(where.size() - 2);
    *target = ConfiguredPath{**text, std::move(where)};
  }
  return {};
}

Status read_async_transport(const YamlMap& transport, HttpEndpointSpec& endpoint) {
  endpoint.transport = TransportKind::kAsync;
  endpoint.call_timeout = std::chrono::minutes(2);
  endpoint.connect_timeout = std::chrono::seconds(20);
  if (auto status = read_duration(transport, "call", endpoint.call_timeout); !status) {
    return status;
  }
  if (auto status = read_duration(transport, "connect", endpoint.connect_timeout); !status) {
    return status;
  }
  // A `timeouts` object, even an empty one, replaces the flat values with
  // its own (or its own defaults).
  auto timeouts = transport.optional_map("timeouts");
  if (!timeouts) return std::unexpected(timeouts.error());
  if (*timeouts) {
    endpoint.call_timeout = std::chrono::minutes(1);
    endpoint.connect_timeout = std::chrono::seconds(10);
    const YamlMap& replacement = **timeouts;
    if (auto status = read_non_zero_duration(replacement, "call", endpoint.call_timeout); !status) {
      return status;
    }
    if (auto status = read_non_zero_duration(replacement, "connect", endpoint.connect_timeout);
        !status) {
      return status;
    }
  }
  if (auto status = read_duration(transport, "pool_ttl", endpoint.pool_ttl); !status) {
    return status;
  }
  auto pool_size = transport.optional_int("pool_size", Typing::kCoerce,
                                          {1, std::numeric_limits<std::int32_t>::max()});
  if (!pool_size) return std::unexpected(pool_size.error());
  if (*pool_size) endpoint.pool_size = static_cast<int>(**pool_size);
  auto payload = transport.optional_int("payload_max_bytes", Typing::kCoerce,
                                        {1, std::numeric_limits<std::int32_t>::max()});
  if (!payload) return std::unexpected(payload.error());
  if (*payload) endpoint.payload_max_bytes = **payload;
  return read_tls_settings(transport, endpoint.tls);
}

Status read_transport(const YamlMap& spec, HttpEndpointSpec& endpoint) {
  auto found_transport = spec.optional_map("transport");
  if (!found_transport) return std::unexpected(found_transport.error());
  if (!*found_transport) return {};  // async with every default
  const YamlMap& transport = **found_transport;

  auto type = transport.optional_text("type");
  if (!type) return std::unexpected(type.error());
  const std::string transport_type = type->value_or(std::string(kAsyncTransport));
  if (transport_type == kOkHttpTransport) return read_okhttp_timeouts(transport, endpoint);
  if (transport_type != kAsyncTransport) {
    return transport.fail("type", "unknown transport type " + in_quotes(transport_type) +
                                      "; expected " + std::string(kAsyncTransport) + " or " +
                                      std::string(kOkHttpTransport));
  }
  return read_async_transport(transport, endpoint);
}

}  // namespace

Status add_http_endpoint(const ComponentFields& component, bool is_v1, ModuleBuild& build) {
  const YamlMap& spec = component.spec;
  const Typing typing = is_v1 ? Typing::kStrict : Typing::kCoerce;
  HttpEndpointSpec endpoint;
  endpoint.document = spec.document().number;
  endpoint.kind = spec.document().kind;

  auto functions = spec.required_text("functions", typing);
  if (!functions) return std::unexpected(functions.error());
  auto pattern = parse_function_pattern(*functions);
  if (!pattern) return spec.fail("functions", pattern.error());
  endpoint.functions = *functions;
  endpoint.function_namespace = pattern->ns;
  endpoint.function_name = pattern->name;

  auto url = spec.required_text("urlPathTemplate", typing);
  if (!url) return std::unexpected(url.error());
  endpoint.url_path_template = *url;

  auto batch = spec.optional_int("maxNumBatchRequests", typing);
  if (!batch) return std::unexpected(batch.error());
  if (*batch) endpoint.max_num_batch_requests = static_cast<int>(**batch);

  // v1 always uses OkHttp and reads `timeouts` right under spec.
  const Status transport =
      is_v1 ? read_okhttp_timeouts(spec, endpoint) : read_transport(spec, endpoint);
  if (!transport) return transport;

  if (auto problem = url_problem(endpoint.url_path_template, endpoint.transport)) {
    return spec.fail("urlPathTemplate", *problem);
  }
  if (auto bound = bind_function(*pattern, spec, build); !bound) return bound;
  build.config.endpoints.push_back(std::move(endpoint));
  return {};
}

}  // namespace statefun::emulator::module_yaml
