#include "runtime/protocol/model.h"

namespace statefun {

std::optional<Address> parse_address(std::string_view text) {
  const auto first = text.find('/');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = text.find('/', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  if (text.find('/', second + 1) != std::string_view::npos) return std::nullopt;
  Address address{
      {std::string(text.substr(0, first)), std::string(text.substr(first + 1, second - first - 1))},
      std::string(text.substr(second + 1))};
  if (address.type.ns.empty() || address.type.name.empty() || address.id.empty()) {
    return std::nullopt;
  }
  return address;
}

std::optional<FunctionType> parse_typename(std::string_view text) {
  const auto slash = text.rfind('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size()) {
    return std::nullopt;
  }
  return FunctionType{std::string(text.substr(0, slash)), std::string(text.substr(slash + 1))};
}

}  // namespace statefun
