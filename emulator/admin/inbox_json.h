// The JSON shapes of pending messages and dead letters (docs/admin-api.md,
// "Pending messages and dead letters"), and the read queries that produce
// them. The admin API serves them; the CLI builds the same documents from
// the database when no emulator runs.
#pragma once

#include <optional>

#include "emulator/admin/admin_json.h"

namespace statefun::emulator {

// {"id", "target", "caller", "source", "accepted_at", "accepted_at_ms",
//  "attempts", "first_failed_at", "last_failed_at", "last_failure":
//  {"reason", "http_status", "body"} | null, "message": value}
Json pending_json(const InboxMessage& message);
// pending_json of the message plus {"dead_at", "dead_at_ms", "step", "cause"}.
Json dead_letter_json(const DeadLetter& letter);

// {"messages": [...]}, oldest first.
Result<Json> query_pending(StoreReader& reader, const PendingQuery& query);
// {"dead_letters": [...]}, oldest id first.
Result<Json> query_dead_letters(StoreReader& reader, const std::optional<Address>& address);
// One dead letter; kNotFound when there is none by that id.
Result<Json> query_dead_letter(StoreReader& reader, int64_t id);

}  // namespace statefun::emulator
