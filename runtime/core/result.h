// The one error type of the project. Functions that can fail return
// Result<T>; "not found" is a normal value (optional), never an Error.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace statefun {

enum class ErrorCode {
  kInvalidArgument,     // the input was malformed (bad bytes, bad YAML, bad flag)
  kNotFound,            // something named does not exist (when absence is an error)
  kIo,                  // file, socket or database failure
  kTimeout,             // a deadline passed
  kCorruption,          // stored data is not what we wrote
  kFailedPrecondition,  // valid input that the current state refuses
  kUnavailable,         // a peer is not reachable (yet)
  kResourceExhausted,   // the disk is full: the same operation may succeed once space returns
};

struct Error {
  ErrorCode code = ErrorCode::kInvalidArgument;
  std::string message;  // one line, names what was wrong and where
};

template <typename T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> make_error(ErrorCode code, std::string message) {
  return std::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace statefun
