// The path of a request target as servers route on it: what comes before
// the query string, percent-decoded. Routing on the decoded path keeps an
// id like "Alice%20B" meaning "Alice B", as it did when cpp-httplib parsed
// our requests.
#pragma once

#include <string>
#include <string_view>

namespace statefun::net {

// "/a%2Fb/c?x=1" -> "/a/b/c". '+' stays '+' (it means a space only in
// queries); a '%' not followed by two hex digits is kept as it is.
std::string target_path(std::string_view target);

}  // namespace statefun::net
