// UTF-8 checks for text that must be UTF-8 (protobuf strings, JSON) and a
// way to show bytes that are not in a one-line error.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace statefun::values {

// Where the first byte that does not start a valid UTF-8 sequence is;
// nullopt when the whole text is valid (no overlong forms, no surrogates).
std::optional<std::size_t> first_invalid_utf8(std::string_view text);
// `text` with every byte outside printable ASCII (and the backslash)
// written as \xNN, for error lines that must stay one line of valid UTF-8.
std::string escape_bytes(std::string_view text);

}  // namespace statefun::values
