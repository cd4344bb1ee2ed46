#include "emulator/admin/admin_json.h"

#include <fmt/format.h>

#include <atomic>

#include "emulator/values/value_codec.h"
#include "runtime/core/time_text.h"

namespace statefun::emulator {

std::string to_text(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

namespace {
std::atomic<std::shared_ptr<const values::ProtoTypes>> g_value_protos;
}  // namespace

void set_value_protos(std::shared_ptr<const values::ProtoTypes> protos) {
  g_value_protos.store(std::move(protos));
}

Json value_json(const TypedValue& value) {
  const auto protos = g_value_protos.load();
  const auto decoded = values::decode(value, protos.get());
  return {{"typename", value.type_name},
          {"encoding", values::kind_name(decoded.kind)},
          {"value", Json::parse(decoded.json)},
          {"base64", values::base64_encode(value.value)}};
}

Json state_json(const StoredState& state) {
  Json out = {{"name", state.name}, {"version", state.version}};
  out.update(value_json({state.type_name, true, state.value}));
  out["expires_at"] =
      state.expires_at_ms ? Json(utc_time_text(*state.expires_at_ms)) : Json(nullptr);
  return out;
}

Json spec_json(const StateSpec& spec) {
  Json out = {{"name", spec.name}, {"typename", spec.type_name}};
  switch (spec.expire_mode) {
    case ExpireMode::kAfterWrite:
      out["expire"] = {{"mode", "after-write"}, {"after_ms", spec.expire_after_ms}};
      break;
    case ExpireMode::kAfterInvoke:
      out["expire"] = {{"mode", "after-invoke"}, {"after_ms", spec.expire_after_ms}};
      break;
    default:
      out["expire"] = nullptr;
  }
  return out;
}

Json timer_json(const TimerRecord& timer, int64_t now_ms) {
  return {{"id", timer.id},
          {"due_at", utc_time_text(timer.due_ms)},
          {"due_at_ms", timer.due_ms},
          {"due_in_ms", timer.due_ms - now_ms},
          {"target", timer.target.str()},
          {"sender", timer.sender.str()},
          {"token", timer.token.empty() ? Json(nullptr) : Json(timer.token)},
          {"message", value_json(timer.argument)}};
}

Json topic_json(const TopicSummary& topic) {
  return {{"topic", topic.topic},
          {"egress", topic.egress_id},
          {"records", topic.records},
          {"unpopped", topic.unpopped}};
}

Json egress_json(const EgressEntry& entry) {
  const auto& r = entry.record;
  const bool text = values::is_valid_utf8(r.payload);
  return {{"topic", r.topic},
          {"offset", entry.offset},
          {"egress", r.egress_id},
          {"step", r.step},
          {"at", utc_time_text(r.at_ms)},
          {"at_ms", r.at_ms},
          {"popped", entry.popped},
          {"payload", text ? Json(r.payload) : Json(nullptr)},
          {"payload_base64", values::base64_encode(r.payload)},
          {"record", value_json(r.argument)}};
}

Json trace_json(const TraceRecord& step) {
  return {{"step", step.step},
          {"at", utc_time_text(step.at_ms)},
          {"at_ms", step.at_ms},
          {"address", step.address.str()},
          {"invocations", step.invocations},
          {"message_type", step.first_type},
          {"duration_us", step.duration_us},
          {"states_changed", step.changed_states},
          {"messages", step.messages},
          {"delayed", step.delayed},
          {"egress", step.egress},
          {"note", step.note.empty() ? Json(nullptr) : Json(step.note)}};
}

TraceRecord trace_from_json(const Json& step) {
  TraceRecord record;
  record.step = step.value("step", int64_t{0});
  record.at_ms = step.value("at_ms", int64_t{0});
  if (auto address = parse_address(step.value("address", std::string()))) record.address = *address;
  record.invocations = step.value("invocations", 0);
  record.first_type = step.value("message_type", std::string());
  record.duration_us = step.value("duration_us", int64_t{0});
  if (const auto changed = step.find("states_changed");
      changed != step.end() && changed->is_array()) {
    for (const auto& name : *changed) {
      if (name.is_string()) record.changed_states.push_back(name.get<std::string>());
    }
  }
  record.messages = step.value("messages", 0);
  record.delayed = step.value("delayed", 0);
  record.egress = step.value("egress", 0);
  if (const auto note = step.find("note"); note != step.end() && note->is_string()) {
    record.note = note->get<std::string>();
  }
  return record;
}

Json call_failure_json(const CallFailure& f) {
  Json output = Json::array();
  for (const auto& line : f.output) {
    output.push_back({{"at", utc_time_text(line.at_ms)},
                      {"stream", line.stderr_stream ? "stderr" : "stdout"},
                      {"line", line.text}});
  }
  return {{"kind", call_failure_kind_name(f.kind)},
          {"reason", f.reason},
          {"http_status", f.http_status ? Json(f.http_status) : Json(nullptr)},
          {"body", f.body},
          {"output", std::move(output)},
          {"process", f.process.empty() ? Json(nullptr) : Json(f.process)},
          {"attempt", f.attempt},
          {"failed_at", utc_time_text(f.at_ms)},
          {"first_failed_at", utc_time_text(f.first_at_ms)},
          {"messages", f.messages}};
}

Json failing_address_json(const FailingAddress& failing) {
  Json j = {{"address", failing.address.str()}};
  if (failing.failure) j.update(call_failure_json(*failing.failure));
  return j;
}

Json address_json(const AddressSummary& summary) {
  return {{"address", summary.address.str()},
          {"states", summary.states},
          {"messages", summary.messages},
          {"pending", summary.pending}};
}

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid_argument";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kIo:
      return "io";
    case ErrorCode::kTimeout:
      return "timeout";
    case ErrorCode::kCorruption:
      return "corruption";
    case ErrorCode::kFailedPrecondition:
      return "failed_precondition";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kResourceExhausted:
      return "resource_exhausted";
  }
  return "internal";
}

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kTimeout:
      return 408;
    case ErrorCode::kFailedPrecondition:
      return 409;
    case ErrorCode::kUnavailable:
    case ErrorCode::kResourceExhausted:
      return 503;
    default:
      return 500;
  }
}

Json error_json(const Error& error) {
  return {{"error", error.message}, {"code", error_code_name(error.code)}};
}

Result<Json> query_addresses(StoreReader& reader, const std::optional<FunctionType>& type) {
  auto rows = reader.addresses(type);
  if (!rows) return std::unexpected(rows.error());
  Json list = Json::array();
  for (const auto& row : *rows) list.push_back(address_json(row));
  return Json{{"addresses", std::move(list)}};
}

Result<Json> query_states(StoreReader& reader, const Address& address, int64_t now_ms) {
  auto rows = reader.states(address, now_ms);
  if (!rows) return std::unexpected(rows.error());
  Json list = Json::array();
  for (const auto& row : *rows) list.push_back(state_json(row));
  return Json{{"address", address.str()}, {"states", std::move(list)}};
}

Result<Json> query_timers(StoreReader& reader, const std::optional<Address>& target,
                          int64_t now_ms) {
  auto rows = reader.timers(target);
  if (!rows) return std::unexpected(rows.error());
  Json list = Json::array();
  for (const auto& row : *rows) list.push_back(timer_json(row, now_ms));
  return Json{{"timers", std::move(list)}};
}

Result<Json> query_topics(StoreReader& reader, const std::vector<std::string>& declared) {
  auto rows = reader.topics();
  if (!rows) return std::unexpected(rows.error());
  Json list = Json::array();
  for (const auto& row : *rows) list.push_back(topic_json(row));
  for (const auto& topic : declared) {
    const bool seen = std::any_of(rows->begin(), rows->end(),
                                  [&](const TopicSummary& t) { return t.topic == topic; });
    if (!seen) list.push_back(topic_json({"io.statefun.playground/egress", topic, 0, 0}));
  }
  std::sort(list.begin(), list.end(),
            [](const Json& a, const Json& b) { return a["topic"] < b["topic"]; });
  return Json{{"topics", std::move(list)}};
}

Result<Json> query_egress(StoreReader& reader, const EgressQuery& query) {
  auto rows = reader.egress(query);
  if (!rows) return std::unexpected(rows.error());
  Json list = Json::array();
  for (const auto& row : *rows) list.push_back(egress_json(row));
  const int64_t next = rows->empty() ? query.from_offset : rows->back().offset + 1;
  Json out = {{"records", std::move(list)}};
  if (query.topic) {
    out["topic"] = *query.topic;
    out["next"] = next;
  }
  return out;
}

Result<Json> query_trace(StoreReader& reader, const TraceQuery& query) {
  auto rows = reader.trace(query);
  if (!rows) return std::unexpected(rows.error());
  auto last = reader.last_step();
  if (!last) return std::unexpected(last.error());
  Json list = Json::array();
  for (const auto& row : *rows) list.push_back(trace_json(row));
  return Json{{"steps", std::move(list)}, {"last_step", *last}};
}

}  // namespace statefun::emulator
