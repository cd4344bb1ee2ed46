#include "cli/json_diff.h"

#include <fmt/format.h>

namespace statefun::cli {
namespace {

std::string shown(const Json& value) {
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > 200) text = text.substr(0, 197) + "...";
  return text;
}

void diff(const Json& expected, const Json& actual, const std::string& path,
          std::vector<std::string>& out) {
  const std::string at = path.empty() ? "(the value)" : path;
  if (expected.is_number() && actual.is_number()) {
    if (expected.get<double>() != actual.get<double>()) {
      out.push_back(fmt::format("{}: expected {}, got {}", at, shown(expected), shown(actual)));
    }
    return;
  }
  if (expected.type() != actual.type()) {
    out.push_back(fmt::format("{}: expected {}, got {}", at, shown(expected), shown(actual)));
    return;
  }
  if (expected.is_object()) {
    for (const auto& [key, value] : expected.items()) {
      const std::string child = path + "." + key;
      if (!actual.contains(key)) {
        out.push_back(fmt::format("{}: missing (expected {})", child, shown(value)));
      } else {
        diff(value, actual.at(key), child, out);
      }
    }
    for (const auto& [key, value] : actual.items()) {
      if (!expected.contains(key)) {
        out.push_back(fmt::format("{}.{}: not expected, got {}", path, key, shown(value)));
      }
    }
    return;
  }
  if (expected.is_array()) {
    const std::size_t common = std::min(expected.size(), actual.size());
    for (std::size_t i = 0; i < common; ++i) {
      diff(expected[i], actual[i], fmt::format("{}[{}]", path, i), out);
    }
    for (std::size_t i = common; i < expected.size(); ++i) {
      out.push_back(fmt::format("{}[{}]: missing (expected {})", path, i, shown(expected[i])));
    }
    for (std::size_t i = common; i < actual.size(); ++i) {
      out.push_back(fmt::format("{}[{}]: not expected, got {}", path, i, shown(actual[i])));
    }
    return;
  }
  if (expected != actual) {
    out.push_back(fmt::format("{}: expected {}, got {}", at, shown(expected), shown(actual)));
  }
}

}  // namespace

std::vector<std::string> json_diff(const Json& expected, const Json& actual,
                                   std::size_t max_lines) {
  std::vector<std::string> lines;
  diff(expected, actual, "", lines);
  if (max_lines > 0 && lines.size() > max_lines) {
    const std::size_t more = lines.size() - (max_lines - 1);
    lines.resize(max_lines - 1);
    lines.push_back(fmt::format("... and {} more difference(s)", more));
  }
  return lines;
}

bool json_equal(const Json& expected, const Json& actual) {
  return json_diff(expected, actual, 0).empty();
}

}  // namespace statefun::cli
