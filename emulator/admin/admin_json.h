// The JSON shapes of the admin API (docs/admin-api.md), and the read
// queries that produce them from the state database. The admin API serves
// them; the CLI builds the very same documents from the database when no
// emulator runs (offline mode), so both paths print the same thing.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "emulator/values/value_codec.h"
#include "runtime/engine/dispatcher.h"
#include "runtime/store/store_reader.h"

namespace statefun::emulator {

using Json = nlohmann::json;

// {"typename", "encoding", "value", "base64"}: `value` is the decoded value
// (emulator/values/value_codec.h: well-known types, protobuf when the .proto
// files of set_value_protos describe the type, JSON, text; null for
// bytes), `base64` the exact bytes.
Json value_json(const TypedValue& value);
// The .proto files value_json decodes protobuf-typed values with, for the
// whole process (statefun dev's `protos:`); none by default. Safe to call
// while other threads build documents.
void set_value_protos(std::shared_ptr<const values::ProtoTypes> protos);
Json state_json(const StoredState& state);
Json spec_json(const StateSpec& spec);
Json timer_json(const TimerRecord& timer, int64_t now_ms);
Json topic_json(const TopicSummary& topic);
Json egress_json(const EgressEntry& entry);
Json trace_json(const TraceRecord& step);
// The step back from trace_json's document (what `statefun trace` gets from
// the admin API); missing fields stay at their defaults.
TraceRecord trace_from_json(const Json& step);
Json address_json(const AddressSummary& summary);
// {"kind", "reason", "http_status", "body", "output": [{"at", "stream",
// "line"}], "process", "attempt", "failed_at", "first_failed_at",
// "messages"}: why an attempt failed (runtime/engine/call_failure.h).
Json call_failure_json(const CallFailure& failure);
// {"address", ...call_failure_json}
Json failing_address_json(const FailingAddress& failing);
// Compact JSON text; invalid UTF-8 in strings is replaced, never thrown on.
std::string to_text(const Json& value);

// {"error": message, "code": "not_found" | ...}
Json error_json(const Error& error);
const char* error_code_name(ErrorCode code);
// The HTTP status of an error: 400, 404, 408, 503 or 500.
int http_status(ErrorCode code);

// Read queries: the bodies of the admin API's GET answers.
Result<Json> query_addresses(StoreReader& reader, const std::optional<FunctionType>& type);
// {"address", "states": [...]}
Result<Json> query_states(StoreReader& reader, const Address& address, int64_t now_ms);
Result<Json> query_timers(StoreReader& reader, const std::optional<Address>& target,
                          int64_t now_ms);
// `declared`: topics known from module.yaml, listed even without records.
Result<Json> query_topics(StoreReader& reader, const std::vector<std::string>& declared);
// {"topic", "records": [...], "next": the offset to read from next}
Result<Json> query_egress(StoreReader& reader, const EgressQuery& query);
// {"steps": [...], "last_step": the highest committed step}
Result<Json> query_trace(StoreReader& reader, const TraceQuery& query);

}  // namespace statefun::emulator
