// How one Kafka ingress or egress of `kafka: connect` mode is doing, for
// /v1/status and `statefun status` (docs/admin-api.md).
#pragma once

#include <cstdint>
#include <string>

namespace statefun::emulator::kafka {

struct LinkStatus {
  std::string direction;  // "ingress" or "egress"
  std::string id;         // its module.yaml id, e.g. "example/names"
  std::string address;    // bootstrap servers
  // "connecting" (not yet in touch), "connected", or "retrying" (the last
  // attempt failed: `error` says why; it is retried with backoff).
  std::string state = "connecting";
  std::string error;    // one line; empty when the last attempt worked
  int64_t records = 0;  // consumed (ingress) or produced (egress) since start
  int64_t skipped = 0;  // ingress: records no route could take (see docs)
};

}  // namespace statefun::emulator::kafka
