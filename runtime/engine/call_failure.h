// Why one attempt to call a function failed, with what a user needs to fix
// it: the kind of failure, the HTTP status and the start of the body, and
// the lines the function's process printed while the call ran (the official
// JS SDK answers a throwing function with an empty 500: the exception is
// only in the process's output). The engine keeps the last failure of each
// failing address (DispatcherStatus::failing_addresses) and hands each one
// to its observer.
//
// The engine knows nothing of processes: whoever starts them supplies the
// output through EngineOptions::call_output (statefun dev's supervisor
// keeps each process's recent lines with their times).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/client/function_client.h"
#include "runtime/protocol/model.h"

namespace statefun {

// One line a function process printed, without its newline.
struct OutputLine {
  int64_t at_ms = 0;  // when it was read, on the engine clock's scale (wall ms)
  bool stderr_stream = false;
  std::string text;
};

struct CallFailure {
  enum class Kind {
    kConnect,          // nothing accepts connections
    kTimeout,          // connect or attempt timeout
    kDisconnected,     // the connection closed before a full response
    kHttpStatus,       // a non-2xx status
    kBadContentType,   // 2xx with a Content-Type other than application/octet-stream
    kTooLarge,         // the response exceeded the size limit
    kBadUrl,           // the endpoint URL cannot be called
    kGarbage,          // the body is not a FromFunction
    kInvalidResponse,  // a FromFunction the runtime refuses (unregistered state, ...)
    kNoEndpoint,       // no endpoint serves the function type any more
  };
  Kind kind = Kind::kConnect;
  std::string reason;   // one line, e.g. "HTTP 500" or "mutation of unregistered state 'x'"
  int http_status = 0;  // kHttpStatus
  std::string body;     // kHttpStatus: the start of the body (CallError::body)
  // What the function's process printed between the request and the
  // failure (at most kMaxOutputLines, the newest); empty when unknown.
  std::vector<OutputLine> output;
  std::string process;      // the process serving the function (its route's gate), if any
  int attempt = 0;          // consecutive failures of the address so far
  int64_t at_ms = 0;        // when it failed (engine clock)
  int64_t first_at_ms = 0;  // when the first of these consecutive failures happened
  int64_t messages = 0;     // messages of the address waiting (the batch and its backlog)

  static constexpr std::size_t kMaxOutputLines = 40;

  static CallFailure from(const CallError& error);
  static CallFailure of(Kind kind, std::string reason);
};

// "http_status", "connect", ...: the kind as the admin API and JSON logs name it.
const char* call_failure_kind_name(CallFailure::Kind kind);

// The lines `process` printed at or after `since_ms` (engine clock), oldest
// first; called on the engine thread when an attempt fails. The supervisor's
// implementation first reads whatever the process wrote that was not read
// yet, so a line printed just before the response is never missed.
using CallOutputFn =
    std::function<std::vector<OutputLine>(const std::string& process, int64_t since_ms)>;

}  // namespace statefun
