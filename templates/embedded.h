// The files `statefun init` writes, embedded into the binary at build time so
// that it works from any directory with nothing beside it.
//
// templates/CMakeLists.txt generates the definition (embedded_files.cc in the
// build directory, never committed) from every file under templates/<lang>/
// and templates/_all/, plus the C++ SDK sources from runtime/, which a
// generated C++ project gets as cpp/_common/statefun_sdk/. templates/README.md
// describes the layout and the placeholders; templates/render.h renders them.
#pragma once

#include <span>
#include <string_view>

namespace statefun::templates {

// One embedded file. Both views point into static storage that lives as long
// as the program.
struct EmbeddedFile {
  std::string_view path;  // relative to templates/, '/'-separated, e.g. "js/greeter/functions.js"
  std::string_view content;  // the file's bytes, verbatim
  bool executable;           // written with mode 0755 (the name ends in ".sh")
};

// Every embedded file, sorted by path. Thread-safe (immutable data).
std::span<const EmbeddedFile> embedded_files();

}  // namespace statefun::templates
