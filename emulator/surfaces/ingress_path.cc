#include "emulator/surfaces/ingress_path.h"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>
#include <vector>

#include "emulator/values/utf8.h"

namespace statefun::emulator {

Result<Address> parse_ingress_path(const std::string& path) {
  std::string_view rest = path;
  if (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const auto slash = rest.find('/', start);
    parts.emplace_back(
        rest.substr(start, slash == std::string_view::npos ? rest.npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  while (!parts.empty() && parts.back().empty()) parts.pop_back();
  const bool any_empty = std::any_of(parts.begin(), parts.end(), [](auto& p) { return p.empty(); });
  if (parts.size() != 3 || any_empty) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("ingress path '{}' must be /<namespace>/<type>/<id> (got {} "
                    "part{})",
                    values::escape_bytes(path), parts.size(), parts.size() == 1 ? "" : "s"));
  }
  // Addresses travel as protobuf strings, which must be UTF-8 (a percent-
  // encoded %FF would otherwise reach the codec and every function).
  constexpr std::string_view kPartNames[] = {"namespace", "type", "id"};
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (auto at = values::first_invalid_utf8(parts[i])) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("ingress path '{}': the {} is not valid UTF-8 (byte {:#04x} "
                                    "at offset {})",
                                    values::escape_bytes(path), kPartNames[i],
                                    static_cast<unsigned char>(parts[i][*at]), *at));
    }
  }
  return Address{{parts[0], parts[1]}, parts[2]};
}

}  // namespace statefun::emulator
