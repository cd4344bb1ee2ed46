#include "emulator/admin/inbox_json.h"

#include <fmt/format.h>

#include "emulator/admin/time_travel_json.h"
#include "emulator/values/value_codec.h"
#include "runtime/core/time_text.h"

namespace statefun::emulator {
namespace {

Json optional_time(bool present, int64_t at_ms) {
  return present ? Json(utc_time_text(at_ms)) : Json(nullptr);
}

}  // namespace

Json pending_json(const InboxMessage& m) {
  const FailureRecord* f = m.failures.get();
  Json failure = nullptr;
  if (f) {
    // The body is bytes: shown as text when it is UTF-8, and always exactly.
    failure = {{"reason", f->last.reason},
               {"http_status", f->last.http_status ? Json(f->last.http_status) : Json(nullptr)},
               {"body", f->last.body_excerpt}};
  }
  return {{"id", m.seq},
          {"target", m.target.str()},
          {"caller", m.caller ? Json(m.caller->str()) : Json(nullptr)},
          {"source", source_name(m.source)},
          {"accepted_at", utc_time_text(m.accepted_at_ms)},
          {"accepted_at_ms", m.accepted_at_ms},
          {"attempts", f ? f->attempts : 0},
          {"first_failed_at", optional_time(f, f ? f->first_failed_at_ms : 0)},
          {"first_failed_at_ms", f ? Json(f->first_failed_at_ms) : Json(nullptr)},
          {"last_failed_at", optional_time(f, f ? f->last_failed_at_ms : 0)},
          {"last_failed_at_ms", f ? Json(f->last_failed_at_ms) : Json(nullptr)},
          {"last_failure", failure},
          {"message", value_json(m.argument)}};
}

Json dead_letter_json(const DeadLetter& letter) {
  Json out = pending_json(letter.message);
  out["dead_at"] = utc_time_text(letter.at_ms);
  out["dead_at_ms"] = letter.at_ms;
  out["step"] = letter.step;
  out["cause"] = letter.cause;
  return out;
}

Result<Json> query_pending(StoreReader& reader, const PendingQuery& query) {
  auto rows = reader.pending(query);
  if (!rows) return std::unexpected(rows.error());
  Json list = Json::array();
  for (const auto& m : *rows) list.push_back(pending_json(m));
  return Json{{"messages", std::move(list)}};
}

Result<Json> query_dead_letters(StoreReader& reader, const std::optional<Address>& address) {
  auto rows = reader.dead_letters(address);
  if (!rows) return std::unexpected(rows.error());
  Json list = Json::array();
  for (const auto& d : *rows) list.push_back(dead_letter_json(d));
  return Json{{"dead_letters", std::move(list)}};
}

Result<Json> query_dead_letter(StoreReader& reader, int64_t id) {
  auto row = reader.dead_letter(id);
  if (!row) return std::unexpected(row.error());
  if (!*row) return make_error(ErrorCode::kNotFound, fmt::format("no dead letter {}", id));
  return dead_letter_json(**row);
}

}  // namespace statefun::emulator
