#include "emulator/config/yaml_guard.h"

#include <cstddef>

namespace statefun::emulator {
namespace {

class Scanner {
 public:
  explicit Scanner(std::string_view text) : m_text(text) {}

  std::optional<YamlHazard> run() {
    if (m_text.substr(0, 3) == "\xEF\xBB\xBF") m_pos = 3;  // a UTF-8 byte order mark
    while (m_pos < m_text.size()) {
      if (auto hazard = root_position()) return hazard;
      skip_to_next_document();
    }
    return std::nullopt;
  }

 private:
  // At the start of a document (or of the rest of a `---` line): skips what
  // may precede the root node and looks at what the root is. Returns the
  // hazard, or nullopt once the document holds anything yaml-cpp parses
  // safely (block content, a plain scalar).
  std::optional<YamlHazard> root_position() {
    bool after_root = false;  // a flow collection or quoted scalar was the root
    for (;;) {
      skip_blanks_and_comments();
      if (m_pos >= m_text.size()) return std::nullopt;
      if (at_line_start() && (marker("---") || marker("..."))) return std::nullopt;
      const char c = m_text[m_pos];
      if (c == ',') return hazard();
      if (after_root) return std::nullopt;  // something else: yaml-cpp reports it
      if (c == '%' && at_line_start()) {    // a directive line
        skip_line();
      } else if (c == '&' || c == '!') {  // an anchor or a tag before the root
        skip_property();
      } else if (c == '[' || c == '{') {
        if (!skip_flow()) return std::nullopt;
        after_root = true;
      } else if (c == '"' || c == '\'') {
        if (!skip_quoted(c)) return std::nullopt;
        after_root = true;
      } else {
        return std::nullopt;  // block content or a plain scalar
      }
    }
  }

  // Moves to the next line starting with `---` or `...`, and past it.
  void skip_to_next_document() {
    if (!at_line_start()) skip_line();
    while (m_pos < m_text.size()) {
      if (marker("---") || marker("...")) {
        m_pos += 3;
        return;
      }
      skip_line();
    }
  }

  // An anchor (`&a`) or a tag (`!t`, `!!str`, `!<verbatim>`). It ends at a
  // blank or a flow indicator, which yaml-cpp then reads as the root (so
  // `!t,` and `&a,` hang it as a bare `,` does). Not at a quote: `'` is a
  // tag character (YAML's ns-uri-char, and yaml-cpp's), so `!t'x,` is the
  // tag `!t'x` before a `,` (the fuzz target found `!N4YA'ML15Paxc,`).
  void skip_property() {
    if (m_text.substr(m_pos, 2) == "!<") {
      const auto close = m_text.find('>', m_pos);
      m_pos = close == std::string_view::npos ? m_text.size() : close + 1;
    } else {
      ++m_pos;
    }
    constexpr std::string_view kEnds = ",[]{}";
    while (m_pos < m_text.size() && !is_blank(m_text[m_pos]) &&
           kEnds.find(m_text[m_pos]) == std::string_view::npos) {
      ++m_pos;
    }
  }

  // A flow collection, quotes and nesting included; false if unclosed.
  bool skip_flow() {
    int depth = 0;
    while (m_pos < m_text.size()) {
      const char c = m_text[m_pos];
      if (c == '"' || c == '\'') {
        if (!skip_quoted(c)) return false;
        continue;
      }
      if (c == '#' && (m_pos == 0 || is_blank(m_text[m_pos - 1]))) {
        skip_line();
        continue;
      }
      ++m_pos;
      if (c == '[' || c == '{') ++depth;
      if ((c == ']' || c == '}') && --depth == 0) return true;
    }
    return false;
  }

  // A quoted scalar ('' escapes a single quote, \ escapes in double quotes).
  bool skip_quoted(char quote) {
    ++m_pos;
    while (m_pos < m_text.size()) {
      const char c = m_text[m_pos++];
      if (quote == '"' && c == '\\') {
        if (m_pos < m_text.size()) ++m_pos;  // the escaped character, if any
      } else if (c == quote) {
        if (quote == '\'' && m_pos < m_text.size() && m_text[m_pos] == '\'') {
          ++m_pos;
        } else {
          return true;
        }
      }
    }
    return false;
  }

  void skip_blanks_and_comments() {
    while (m_pos < m_text.size()) {
      const char c = m_text[m_pos];
      if (is_blank(c)) {
        ++m_pos;
      } else if (c == '#') {
        skip_line();
      } else {
        return;
      }
    }
  }

  void skip_line() {
    while (m_pos < m_text.size() && m_text[m_pos] != '\n') ++m_pos;
    if (m_pos < m_text.size()) ++m_pos;
  }

  // `---` or `...` here, followed by a blank or the end.
  bool marker(std::string_view which) const {
    if (m_text.substr(m_pos, 3) != which) return false;
    return m_pos + 3 >= m_text.size() || is_blank(m_text[m_pos + 3]);
  }

  bool at_line_start() const { return m_pos == 0 || m_text[m_pos - 1] == '\n'; }

  static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

  YamlHazard hazard() const {
    YamlHazard at{1, 1};
    for (std::size_t i = 0; i < m_pos; ++i) {
      if (m_text[i] == '\n') {
        ++at.line;
        at.column = 1;
      } else {
        ++at.column;
      }
    }
    return at;
  }

  std::string_view m_text;
  std::size_t m_pos = 0;
};

// The second pattern: a ',' that starts a line outside any flow
// collection, quoted scalar or block scalar ('- a\n# c\n,', 'x # c\n,').
// yaml-cpp reads it as a flow entry; after a block sequence or a root
// scalar that loops forever too. Valid YAML starts no line so, except a
// plain scalar continued on a line starting with ',' (refused as well).
class LineScanner {
 public:
  explicit LineScanner(std::string_view text) : m_text(text) {}

  std::optional<YamlHazard> run() {
    int line_number = 0;
    std::size_t start = 0;
    while (start < m_text.size()) {
      std::size_t end = m_text.find('\n', start);
      if (end == std::string_view::npos) end = m_text.size();
      ++line_number;
      if (auto column = scan_line(m_text.substr(start, end - start))) {
        return YamlHazard{line_number, *column};
      }
      start = end + 1;
    }
    return std::nullopt;
  }

 private:
  // The 1-based column of a ',' starting this line, if it is one.
  std::optional<int> scan_line(std::string_view line) {
    std::size_t indent = 0;
    while (indent < line.size() && line[indent] == ' ') ++indent;
    if (m_block_indent >= 0) {
      const bool blank = line.find_first_not_of(" \t\r") == std::string_view::npos;
      if (blank || static_cast<int>(indent) > m_block_indent) return std::nullopt;
      m_block_indent = -1;
    }
    if (m_quote == 0 && m_depth == 0 && indent < line.size() && line[indent] == ',') {
      return static_cast<int>(indent) + 1;
    }
    char last_token = 0;  // the last character outside scalars and comments
    for (std::size_t i = indent; i < line.size(); ++i) {
      const char c = line[i];
      if (m_quote != 0) {
        if (m_quote == '"' && c == '\\') {
          ++i;
        } else if (c == m_quote) {
          if (m_quote == '\'' && i + 1 < line.size() && line[i + 1] == '\'') {
            ++i;
          } else {
            m_quote = 0;
          }
        }
        continue;
      }
      const bool token_start = i == indent || line[i - 1] == ' ' || line[i - 1] == '\t' ||
                               (m_depth > 0 && (line[i - 1] == '[' || line[i - 1] == '{' ||
                                                line[i - 1] == ',' || line[i - 1] == ':'));
      if (c == '#' && token_start) break;  // a comment
      // A tag or anchor before a ',' outside flow collections, right after
      // it or after blanks (never valid YAML: a ',' starts no node there);
      // yaml-cpp loops on it in block content as at the root (the fuzz
      // target found `   !,!` and ` !  ,!`).
      if (m_depth == 0 && token_start && (c == '!' || c == '&')) {
        std::size_t end = property_end(line, i);
        while (end < line.size() && (line[end] == ' ' || line[end] == '\t')) ++end;
        if (end < line.size() && line[end] == ',') return static_cast<int>(end) + 1;
      }
      if ((c == '"' || c == '\'') && token_start) {
        m_quote = c;
      } else if ((c == '[' || c == '{') && (token_start || m_depth > 0)) {
        ++m_depth;
      } else if ((c == ']' || c == '}') && m_depth > 0) {
        --m_depth;
      }
      if (c != ' ' && c != '\t' && c != '\r') last_token = token_start ? c : 0;
    }
    // `key: |`, `- >-`, `|2`: the lines indented deeper are its content.
    if (m_quote == 0 && m_depth == 0 &&
        (last_token == '|' || last_token == '>' || ends_with_block_indicator(line))) {
      m_block_indent = static_cast<int>(indent);
    }
    return std::nullopt;
  }

  // Where the tag or anchor starting at `at` ends: as Scanner::skip_property.
  static std::size_t property_end(std::string_view line, std::size_t at) {
    if (line.substr(at, 2) == "!<") {
      const auto close = line.find('>', at);
      return close == std::string_view::npos ? line.size() : close + 1;
    }
    std::size_t end = at + 1;
    constexpr std::string_view kEnds = ",[]{}";
    while (end < line.size() && line[end] != ' ' && line[end] != '\t' && line[end] != '\r' &&
           kEnds.find(line[end]) == std::string_view::npos) {
      ++end;
    }
    return end;
  }

  // `|` or `>` with chomping and indentation indicators, then an optional
  // comment, ends the line.
  static bool ends_with_block_indicator(std::string_view line) {
    const auto comment = line.find(" #");
    if (comment != std::string_view::npos) line = line.substr(0, comment);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) {
      line.remove_suffix(1);
    }
    while (!line.empty() && (line.back() == '-' || line.back() == '+' ||
                             (line.back() >= '1' && line.back() <= '9'))) {
      line.remove_suffix(1);
    }
    if (line.empty() || (line.back() != '|' && line.back() != '>')) return false;
    line.remove_suffix(1);
    return line.empty() || line.back() == ' ' || line.back() == '\t';
  }

  std::string_view m_text;
  char m_quote = 0;         // inside a quoted scalar spanning lines
  int m_depth = 0;          // flow collections open
  int m_block_indent = -1;  // inside a block scalar under a line this indented
};

}  // namespace

std::optional<YamlHazard> find_yaml_cpp_hang(std::string_view text) {
  if (auto hazard = Scanner(text).run()) return hazard;
  return LineScanner(text).run();
}

}  // namespace statefun::emulator
