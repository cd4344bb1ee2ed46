// Looks up the embedded console files (assets.h).
#include "emulator/web/assets.h"

#include <algorithm>

namespace statefun::emulator::web {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Only the kinds of files console/ holds; anything else is served as bytes.
std::string content_type(std::string_view path) {
  if (ends_with(path, ".html")) return "text/html; charset=utf-8";
  if (ends_with(path, ".js")) return "text/javascript; charset=utf-8";
  if (ends_with(path, ".css")) return "text/css; charset=utf-8";
  if (ends_with(path, ".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

}  // namespace

std::optional<Asset> find_asset(std::string_view path) {
  if (path.empty()) path = "index.html";
  if (path.find("..") != std::string_view::npos || path.front() == '/' ||
      path.find('\\') != std::string_view::npos) {
    return std::nullopt;
  }
  const auto files = embedded_files();
  // A dozen files: a scan, so nothing depends on the generator's sort order.
  const auto it = std::find_if(files.begin(), files.end(),
                               [&](const EmbeddedFile& f) { return f.path == path; });
  if (it == files.end()) return std::nullopt;
  return Asset{it->content, content_type(path)};
}

}  // namespace statefun::emulator::web
