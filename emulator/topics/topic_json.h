// The JSON of emulated topics (docs/admin-api.md, "Topics"), built from the
// state database: what GET /v1/topics and GET /v1/topics/<topic>/records
// answer, and what the CLI prints offline from the same queries.
//
// Two kinds of topic share one namespace of names:
//  - ingress topics: Kafka topics and Kinesis streams that an ingress of
//    module.yaml reads. Records are produced to them (`statefun topic
//    produce`); their offsets are 0, 1, 2, ... per topic. Every record is
//    routed to its ingresses' targets in the commit that appends it, so the
//    ingresses' consumer position is always the topic's end.
//  - egress topics: what functions wrote to a Kafka or Kinesis egress (the
//    egress table). Their offsets are the egress record ids, as in `statefun
//    egress read`: increasing, not contiguous within a topic.
// A name that is both reads as the ingress topic.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "emulator/config/module_config.h"
#include "runtime/store/store_reader.h"

namespace statefun::emulator {

// {"topics": [{"topic", "kind": "kafka"|"kinesis", "direction":
// "ingress"|"egress", "owners": [ingress or egress ids], "declared",
// "records", "next_offset", "consumer_offset" (null for egress topics),
// "last_at"}]}, by name. `module` (nullable) adds the ingress topics that
// have no records yet and names the owners.
Result<nlohmann::json> query_topic_list(StoreReader& reader, const ModuleConfig* module);

// {"topic", "direction", "records": [{"offset", "key", "key_base64",
// "value", "value_base64", "at", "at_ms", ...}], "next"}: at most `limit`
// records from offset `from`. Ingress records add "messages" (how many
// inbox messages it became) and "first_message" (the first one's id);
// egress records add "egress" and "step". "key"/"value" are text when the
// bytes are UTF-8 (else null; the *_base64 fields always hold the bytes).
// kNotFound when no ingress reads `topic` and nothing was written to it.
Result<nlohmann::json> query_topic_records(StoreReader& reader, const ModuleConfig* module,
                                           const std::string& topic, int64_t from, int limit);

}  // namespace statefun::emulator
