#include "emulator/console/terminal_style.h"

#include <fmt/color.h>
#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <iterator>

namespace statefun::emulator {
namespace {

// Process names take these in turn: cyan, magenta, blue and their bright
// variants, none of which the console uses for anything else.
constexpr std::array kTints = {
    fmt::terminal_color::cyan,           fmt::terminal_color::magenta,
    fmt::terminal_color::blue,           fmt::terminal_color::bright_cyan,
    fmt::terminal_color::bright_magenta, fmt::terminal_color::bright_blue,
};

std::string paint(bool color, const fmt::text_style& style, std::string_view text) {
  if (!color || text.empty()) return std::string(text);
  return fmt::format(style, "{}", text);
}

}  // namespace

std::optional<ColorMode> parse_color_mode(std::string_view text) {
  if (text == "auto") return ColorMode::kAuto;
  if (text == "always") return ColorMode::kAlways;
  if (text == "never") return ColorMode::kNever;
  return std::nullopt;
}

ColorEnvironment color_environment(std::initializer_list<int> fds) {
  ColorEnvironment environment;
  environment.terminal = fds.size() > 0;
  for (const int fd : fds) environment.terminal = environment.terminal && isatty(fd) == 1;
  if (const char* no_color = std::getenv("NO_COLOR")) environment.no_color = no_color;
  return environment;
}

bool use_color(ColorMode mode, const ColorEnvironment& environment) {
  switch (mode) {
    case ColorMode::kAlways:
      return true;
    case ColorMode::kNever:
      return false;
    case ColorMode::kAuto:
      break;
  }
  const bool no_color = environment.no_color && !environment.no_color->empty();
  return environment.terminal && !no_color;
}

Style Style::for_streams(ColorMode mode, std::initializer_list<int> fds) {
  return Style(use_color(mode, color_environment(fds)));
}

Style Style::for_stdout(std::string_view mode) {
  return for_streams(parse_color_mode(mode).value_or(ColorMode::kAuto), {STDOUT_FILENO});
}

std::string Style::bold(std::string_view text) const {
  return paint(m_color, fmt::emphasis::bold, text);
}

std::string Style::dim(std::string_view text) const {
  return paint(m_color, fmt::emphasis::faint, text);
}

std::string Style::red(std::string_view text) const {
  return paint(m_color, fmt::fg(fmt::terminal_color::red), text);
}

std::string Style::green(std::string_view text) const {
  return paint(m_color, fmt::fg(fmt::terminal_color::green), text);
}

std::string Style::yellow(std::string_view text) const {
  return paint(m_color, fmt::fg(fmt::terminal_color::yellow), text);
}

std::string Style::cyan(std::string_view text) const {
  return paint(m_color, fmt::fg(fmt::terminal_color::cyan), text);
}

std::string Style::tint(std::size_t index, std::string_view text) const {
  return paint(m_color, fmt::fg(kTints[index % std::size(kTints)]), text);
}

std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == 0x1b && i + 1 < text.size() && text[i + 1] == '[') {
      i += 2;
      while (i < text.size() && !(text[i] >= '@' && text[i] <= '~')) ++i;
      continue;
    }
    if ((c & 0xc0) != 0x80) ++width;  // count lead bytes only
  }
  return width;
}

}  // namespace statefun::emulator
