// Terminal output for every command: the one place that decides whether
// output is coloured, and the only code that writes escape codes (through
// fmt/color.h).
//
// The decision, the same for `statefun dev` and every shell command:
//   --color always   colour, whatever the environment says;
//   --color never    no colour;
//   --color auto     (the default) colour only when every stream the output
//                    goes to is a terminal and NO_COLOR is unset or empty
//                    (https://no-color.org: any non-empty value turns colour
//                    off; an explicit flag still wins).
#pragma once

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace statefun::emulator {

// The values of the --color flag.
enum class ColorMode { kAuto, kAlways, kNever };

// "auto", "always" or "never"; nullopt for anything else.
std::optional<ColorMode> parse_color_mode(std::string_view text);

// What --color auto looks at, gathered apart from the decision so that the
// decision is a pure function (and testable without a terminal).
struct ColorEnvironment {
  bool terminal = false;                // every output stream is a terminal
  std::optional<std::string> no_color;  // $NO_COLOR; nullopt when unset
};

// This process's environment for output on these file descriptors
// (e.g. STDOUT_FILENO, STDERR_FILENO).
ColorEnvironment color_environment(std::initializer_list<int> fds);

// The decision described at the top of this file.
bool use_color(ColorMode mode, const ColorEnvironment& environment);

// Styles text; every method returns its argument unchanged when colour is
// off, and empty text stays empty either way.
class Style {
 public:
  explicit Style(bool color = false) : m_color(color) {}
  // For output on `fds`, with `mode` decided as above.
  static Style for_streams(ColorMode mode, std::initializer_list<int> fds);
  // For the shell commands, which print on stdout; `mode` as the --color
  // flag spells it (anything unknown counts as auto).
  static Style for_stdout(std::string_view mode);

  bool color() const { return m_color; }
  std::string bold(std::string_view text) const;
  std::string dim(std::string_view text) const;
  std::string red(std::string_view text) const;
  std::string green(std::string_view text) const;
  std::string yellow(std::string_view text) const;
  std::string cyan(std::string_view text) const;
  // The index-th of a few colours that tell names apart at a glance (the
  // console's process prefixes); the index wraps around.
  std::string tint(std::size_t index, std::string_view text) const;

 private:
  bool m_color;
};

// Width on a terminal: UTF-8 code points, escape sequences excluded.
std::size_t display_width(std::string_view text);

}  // namespace statefun::emulator
