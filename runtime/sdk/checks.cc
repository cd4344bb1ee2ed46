// The SDK's argument checks and their messages, in one place so every API
// reports a mistake the same way.
#include <stdexcept>
#include <string>

#include "runtime/sdk/statefun_sdk.h"

namespace statefun::sdk::detail {
namespace {

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

bool is_identifier(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

void require_typename(std::string_view what, std::string_view type_name) {
  if (!parse_typename(type_name)) {
    throw std::invalid_argument(std::string(what) + " " + quoted(type_name) +
                                " is not a typename of the form <namespace>/<name>");
  }
}

void require_state_name(std::string_view name) {
  if (!is_identifier(name)) {
    throw std::invalid_argument("state name " + quoted(name) +
                                " must be letters, digits and '_', not starting with a digit");
  }
}

std::chrono::milliseconds require_positive_ttl(std::chrono::milliseconds ttl) {
  // Flink rejects a non-positive TTL when the runtime registers the spec.
  if (ttl.count() <= 0) {
    throw std::invalid_argument("an expiration must be positive (got " +
                                std::to_string(ttl.count()) + " ms)");
  }
  return ttl;
}

void throw_type_mismatch(std::string_view what, std::string_view actual,
                         std::string_view expected) {
  throw std::runtime_error("type mismatch: " + std::string(what) + " has type " + quoted(actual) +
                           ", not " + quoted(expected));
}

void throw_undecodable(std::string_view type_name) {
  throw std::runtime_error("the bytes are not a valid " + std::string(type_name));
}

}  // namespace statefun::sdk::detail
