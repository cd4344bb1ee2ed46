// Validates what functions send to egresses, as the real egress kinds do
// (docs/types.md, "Egress records"), and says where each record goes. A record
// that a real cluster would reject (and fail the job for) is an error here:
// the dispatcher then applies none of that response and retries it.
#pragma once

#include <string>
#include <vector>

#include "emulator/config/module_config.h"
#include "runtime/engine/dispatcher.h"

namespace statefun::emulator {

inline constexpr std::string_view kPlaygroundEgressId = "io.statefun.playground/egress";

class EgressRoutes {
 public:
  explicit EgressRoutes(const ModuleConfig& config);

  Result<RoutedEgress> route(const EgressMessage& message) const;

 private:
  Result<RoutedEgress> route_playground(const TypedValue& record) const;

  bool m_has_playground = false;
  std::vector<std::string> m_playground_topics;
  std::vector<std::string> m_kafka_ids, m_kinesis_ids;
};

}  // namespace statefun::emulator
