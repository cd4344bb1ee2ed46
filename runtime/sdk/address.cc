#include <stdexcept>

#include "runtime/sdk/statefun_sdk.h"

namespace statefun::sdk {

Address address(std::string_view function_type, std::string_view id) {
  auto type = parse_typename(function_type);
  if (!type) detail::require_typename("function type", function_type);  // throws
  if (id.empty()) {
    throw std::invalid_argument("the id of an address of " + std::string(function_type) +
                                " must not be empty");
  }
  return Address{*std::move(type), std::string(id)};
}

}  // namespace statefun::sdk
