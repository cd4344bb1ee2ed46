// The web console's files (emulator/web/console/), embedded into the binary
// at build time (emulator/web/CMakeLists.txt generates the definition of
// embedded_files() with templates/embed_files.cmake), and what the admin API
// needs to serve them: the file for a request path and its Content-Type.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace statefun::emulator::web {

// One embedded file; both views point into static storage.
struct EmbeddedFile {
  std::string_view path;     // relative to console/, e.g. "app.js"
  std::string_view content;  // the file's bytes, verbatim
  bool executable;           // unused here (the generator's shape, shared with templates/)
};

// Every embedded file, sorted by path. Thread-safe (immutable data).
std::span<const EmbeddedFile> embedded_files();

struct Asset {
  std::string_view content;
  std::string content_type;
};

// The file served for `path` (relative to console/; "" is index.html), or
// nullopt. Paths with "..", a leading '/' or a backslash never match.
std::optional<Asset> find_asset(std::string_view path);

}  // namespace statefun::emulator::web
