// "Did you mean ...?": the closest of a set of known words to a word the
// user typed, for error messages about misspelt commands, flags and keys.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace statefun {

// Edits (insert, delete, substitute, swap two neighbours) that turn `a`
// into `b`; letters compare case-insensitively (ASCII).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, if it is close enough to be a likely
// typo: at most 1 edit for words up to 4 letters, 2 up to 8, then 3; or
// `word` is a prefix of exactly one candidate ("snap" -> "snapshot"). Ties
// go to the first candidate. nullopt when none qualifies or `word` is empty.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

}  // namespace statefun
