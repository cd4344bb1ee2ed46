// The address a playground ingress request is for, read from its path as
// the StateFun playground reads it. Its own file, free of the servers, so
// the fuzz target (tests/fuzz/ingress_path_fuzz.cc) links it alone.
#pragma once

#include <string>

#include "runtime/core/result.h"
#include "runtime/protocol/model.h"

namespace statefun::emulator {

// Parses an ingress path as the playground does: strip the leading '/',
// split on '/', drop trailing empty segments; exactly three non-empty parts,
// each valid UTF-8 (protobuf strings must be). Bytes outside printable ASCII
// are written as \xNN in the error. kInvalidArgument: "ingress path '/a/b' must be
// /<namespace>/<type>/<id> (got 2 parts)".
Result<Address> parse_ingress_path(const std::string& path);

}  // namespace statefun::emulator
