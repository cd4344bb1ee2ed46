#include "runtime/engine/call_failure.h"

namespace statefun {

CallFailure CallFailure::from(const CallError& error) {
  CallFailure failure;
  switch (error.kind) {
    case CallErrorKind::kConnect:
      failure.kind = Kind::kConnect;
      break;
    case CallErrorKind::kTimeout:
      failure.kind = Kind::kTimeout;
      break;
    case CallErrorKind::kDisconnected:
      failure.kind = Kind::kDisconnected;
      break;
    case CallErrorKind::kHttpStatus:
      failure.kind = Kind::kHttpStatus;
      break;
    case CallErrorKind::kBadContentType:
      failure.kind = Kind::kBadContentType;
      break;
    case CallErrorKind::kTooLarge:
      failure.kind = Kind::kTooLarge;
      break;
    case CallErrorKind::kBadUrl:
      failure.kind = Kind::kBadUrl;
      break;
  }
  failure.reason = error.message;
  failure.http_status = error.http_status;
  failure.body = error.body;
  return failure;
}

CallFailure CallFailure::of(Kind kind, std::string reason) {
  CallFailure failure;
  failure.kind = kind;
  failure.reason = std::move(reason);
  return failure;
}

const char* call_failure_kind_name(CallFailure::Kind kind) {
  using Kind = CallFailure::Kind;
  switch (kind) {
    case Kind::kConnect:
      return "connect";
    case Kind::kTimeout:
      return "timeout";
    case Kind::kDisconnected:
      return "disconnected";
    case Kind::kHttpStatus:
      return "http_status";
    case Kind::kBadContentType:
      return "bad_content_type";
    case Kind::kTooLarge:
      return "too_large";
    case Kind::kBadUrl:
      return "bad_url";
    case Kind::kGarbage:
      return "garbage";
    case Kind::kInvalidResponse:
      return "invalid_response";
    case Kind::kNoEndpoint:
      return "no_endpoint";
  }
  return "unknown";
}

}  // namespace statefun
