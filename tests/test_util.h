// Small helpers shared by the unit tests.
#pragma once

#include <cctype>
#include <string>
#include <string_view>

namespace statefun::test {

// "a2 06 44 ..." (spaces and newlines ignored) -> bytes.
inline std::string from_hex(std::string_view hex) {
  std::string out;
  int high = -1;
  for (char c : hex) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    const int digit =
        std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(c) - 'a' + 10;
    if (high < 0) {
      high = digit;
    } else {
      out.push_back(static_cast<char>(high * 16 + digit));
      high = -1;
    }
  }
  return out;
}

inline std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

// Hex of a string's UTF-8 bytes, for building expected dumps readably.
inline std::string hex_of(std::string_view text) { return to_hex(text); }

}  // namespace statefun::test
