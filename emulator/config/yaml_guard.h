// Finds, before yaml-cpp sees it, the YAML that makes yaml-cpp 0.7 (the
// Debian 12 package) loop forever allocating nodes (found by
// tests/fuzz/module_yaml_fuzz.cc): a ',' (a flow entry) where a document's
// root node starts or right after a root that is a flow collection or a
// quoted scalar, and a ',' starting a line outside flow collections, quoted
// and block scalars, e.g.
//   ,     --- ,     [a],     "x"\n,     &anchor ,     !tag,     - a\n# c\n,
// None of it is valid YAML, except a plain scalar continued on a line that
// starts with ',', which is refused too. Two small scanners: one follows
// documents (`---`, `...`), directives, comments, anchors and tags, quoted
// scalars and flow collections only as far as the root position; the other
// follows quotes, flow collections and block scalars line by line. Anything
// else is left to yaml-cpp.
#pragma once

#include <optional>
#include <string_view>

namespace statefun::emulator {

struct YamlHazard {
  int line = 0;    // 1-based
  int column = 0;  // 1-based
};

// Where the first such ',' is, or nullopt when there is none.
std::optional<YamlHazard> find_yaml_cpp_hang(std::string_view text);

}  // namespace statefun::emulator
