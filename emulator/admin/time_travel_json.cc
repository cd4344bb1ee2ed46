#include "emulator/admin/time_travel_json.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <set>

#include "emulator/config/module_config.h"

namespace statefun::emulator {

namespace {

Json optional_value_json(const std::optional<TypedValue>& value) {
  return value ? value_json(*value) : Json(nullptr);
}

const char* source_name(MessageSource source) {
  switch (source) {
    case MessageSource::kIngress:
      return "ingress";
    case MessageSource::kFunction:
      return "function";
    case MessageSource::kTimer:
      return "timer";
    case MessageSource::kAdmin:
      return "admin";
  }
  return "unknown";
}

}  // namespace

Json history_row_json(const HistoryRow& row) {
  Json out = {{"version", row.version},
              {"name", row.name},
              {"step", row.step},
              {"at", iso_time(row.at_ms)},
              {"at_ms", row.at_ms},
              {"cause", row.cause_type},
              {"caller", row.cause_caller ? Json(*row.cause_caller) : Json(nullptr)},
              {"deleted", !row.value.has_value()}};
  if (row.value) {
    out.update(value_json(*row.value));
  } else {
    out.update(
        {{"typename", nullptr}, {"encoding", "none"}, {"value", nullptr}, {"base64", nullptr}});
  }
  return out;
}

Result<Json> query_history(StoreReader& reader, const Address& address, const std::string& name) {
  auto rows = reader.entity_history(address);
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) {
    return make_error(
        ErrorCode::kNotFound,
        fmt::format("{} has no state history (it never changed state)", address.str()));
  }
  auto floor = reader.history_floor(address);
  if (!floor) return std::unexpected(floor.error());
  Json list = Json::array();
  std::set<std::string> names;
  for (const auto& row : *rows) {
    names.insert(row.name);
    if (!name.empty() && row.name != name) continue;
    list.push_back(history_row_json(row));
  }
  if (list.empty()) {
    std::string known;
    for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
    return make_error(ErrorCode::kNotFound, fmt::format("{} has no state '{}' in its history "
                                                        "(its states: {})",
                                                        address.str(), name, known));
  }
  return Json{{"address", address.str()},
              {"name", name.empty() ? Json(nullptr) : Json(name)},
              {"latest_version", time_travel::latest_version(*rows)},
              {"floor", *floor},
              {"history", std::move(list)}};
}

Json change_json(const time_travel::StateChange& change) {
  return {{"name", change.name},
          {"before", optional_value_json(change.before)},
          {"after", optional_value_json(change.after)}};
}

Json changes_json(const std::vector<time_travel::StateChange>& changes) {
  Json list = Json::array();
  for (const auto& change : changes) list.push_back(change_json(change));
  return list;
}

Json rewind_json(const Address& address, const time_travel::RewindOutcome& outcome, bool dry_run) {
  return {{"address", address.str()},
          {"dry_run", dry_run},
          {"from_version", outcome.from_version},
          {"to_version", outcome.to_version},
          {"new_version", outcome.new_version},
          {"changed", !dry_run && outcome.new_version != outcome.from_version},
          {"changes", changes_json(outcome.changes)}};
}

Json simulation_json(const Address& address, int64_t from_version, const SimulationResult& result,
                     std::size_t replayed) {
  Json state = Json::object();
  for (const auto& [name, value] : result.final_state) state[name] = value_json(value);
  Json messages = Json::array();
  for (const auto& m : result.messages) {
    messages.push_back({{"target", m.target.str()}, {"message", value_json(m.argument)}});
  }
  Json delayed = Json::array();
  for (const auto& d : result.delayed) {
    delayed.push_back(
        {{"cancel", d.is_cancellation},
         {"token", d.cancellation_token.empty() ? Json(nullptr) : Json(d.cancellation_token)},
         {"delay_ms", d.delay_ms},
         {"target", d.is_cancellation ? Json(nullptr) : Json(d.target.str())},
         {"message", d.is_cancellation ? Json(nullptr) : value_json(d.argument)}});
  }
  Json egress = Json::array();
  for (const auto& e : result.egress) {
    egress.push_back({{"egress", e.egress_id()}, {"record", value_json(e.argument)}});
  }
  return {{"address", address.str()},      {"dry_run", true},
          {"from_version", from_version},  {"replayed", replayed},
          {"requests", result.requests},   {"changes", changes_json(result.changes)},
          {"state", std::move(state)},     {"messages", std::move(messages)},
          {"delayed", std::move(delayed)}, {"egress", std::move(egress)}};
}

Json inbox_message_json(const InboxMessage& message) {
  return {{"target", message.target.str()},
          {"caller", message.caller ? Json(message.caller->str()) : Json(nullptr)},
          {"source", source_name(message.source)},
          {"accepted_at", iso_time(message.accepted_at_ms)},
          {"message", value_json(message.argument)}};
}

Json snapshot_json(const SnapshotInfo& info) {
  return {{"name", info.name},
          {"path", info.path},
          {"automatic", info.automatic},
          {"created_at", iso_time(info.created_at_ms)},
          {"created_at_ms", info.created_at_ms},
          {"size_bytes", info.size_bytes},
          {"last_step", info.last_step},
          {"entities", info.entities},
          {"pending", info.pending},
          {"timers", info.timers}};
}

Json snapshot_diff_json(const std::string& a, const std::string& b,
                        const std::vector<StateDifference>& differences) {
  Json list = Json::array();
  for (const auto& d : differences) {
    list.push_back({{"address", d.address.str()},
                    {"name", d.name},
                    {"a", optional_value_json(d.a)},
                    {"b", optional_value_json(d.b)}});
  }
  return {{"a", a}, {"b", b}, {"differences", std::move(list)}};
}

namespace {

// Reads fixed-width numbers and literal characters off the front of a text.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : m_text(text) {}
  bool done() const { return m_pos == m_text.size(); }
  char peek() const { return done() ? '\0' : m_text[m_pos]; }
  bool take(char c) {
    if (peek() != c) return false;
    ++m_pos;
    return true;
  }
  bool number(int digits, int& out) {
    if (m_pos + digits > m_text.size()) return false;
    int value = 0;
    for (int i = 0; i < digits; ++i) {
      const char c = m_text[m_pos + i];
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    m_pos += digits;
    out = value;
    return true;
  }
  // Fractional seconds after '.': up to millisecond precision, more digits ignored.
  int fraction_ms() {
    int ms = 0, scale = 100;
    while (std::isdigit(static_cast<unsigned char>(peek()))) {
      ms += (peek() - '0') * scale;
      scale /= 10;
      ++m_pos;
    }
    return ms;
  }
  bool looks_like_date() const { return m_text.size() >= m_pos + 5 && m_text[m_pos + 4] == '-'; }

 private:
  std::string_view m_text;
  std::size_t m_pos = 0;
};

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

std::optional<int64_t> absolute_time(std::string_view text, int64_t now_ms) {
  Cursor c(text);
  const std::time_t now_seconds = static_cast<std::time_t>(now_ms / 1000);
  std::tm when{};
  localtime_r(&now_seconds, &when);
  when.tm_hour = when.tm_min = when.tm_sec = 0;
  bool has_date = false;
  if (c.looks_like_date()) {
    int year = 0, month = 0, day = 0;
    if (!c.number(4, year) || !c.take('-') || !c.number(2, month) || !c.take('-') ||
        !c.number(2, day)) {
      return std::nullopt;
    }
    if (month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
    when.tm_year = year - 1900;
    when.tm_mon = month - 1;
    when.tm_mday = day;
    has_date = true;
    if (c.done()) {
      when.tm_isdst = -1;
      return static_cast<int64_t>(std::mktime(&when)) * 1000;
    }
    if (!c.take('T') && !c.take('t') && !c.take(' ')) return std::nullopt;
  }
  int hour = 0, minute = 0, second = 0, ms = 0;
  if (!c.number(2, hour) || !c.take(':') || !c.number(2, minute)) return std::nullopt;
  if (c.take(':')) {
    if (!c.number(2, second)) return std::nullopt;
    if (c.take('.') || c.take(',')) ms = c.fraction_ms();
  }
  if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
  when.tm_hour = hour;
  when.tm_min = minute;
  when.tm_sec = second;
  if (c.done()) {  // local time
    when.tm_isdst = -1;
    return static_cast<int64_t>(std::mktime(&when)) * 1000 + ms;
  }
  if (!has_date) return std::nullopt;  // a zone needs a date
  int offset_minutes = 0;
  if (!c.take('Z') && !c.take('z')) {
    const char sign = c.peek();
    if (sign != '+' && sign != '-') return std::nullopt;
    c.take(sign);
    int oh = 0, om = 0;
    if (!c.number(2, oh)) return std::nullopt;
    c.take(':');
    if (!c.number(2, om)) return std::nullopt;
    offset_minutes = (sign == '+' ? 1 : -1) * (oh * 60 + om);
  }
  if (!c.done()) return std::nullopt;
  const int64_t utc_seconds = static_cast<int64_t>(timegm(&when)) - int64_t{offset_minutes} * 60;
  return utc_seconds * 1000 + ms;
}

}  // namespace

Result<int64_t> parse_time_point(std::string_view text, int64_t now_ms) {
  const std::string_view trimmed = trim(text);
  const auto bad = [&](std::string_view why) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("'{}' is not a time: {}", text, why));
  };
  if (trimmed.empty()) return bad("it is empty");
  if (trimmed == "now") return now_ms;
  std::string_view relative = trimmed;
  const bool ago = relative.ends_with("ago");
  if (ago) relative = trim(relative.substr(0, relative.size() - 3));
  const bool digits_only =
      !relative.empty() &&
      std::all_of(relative.begin(), relative.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  if (digits_only) {
    return bad(
        "a number alone is ambiguous; write a duration such as 5m (five minutes ago) "
        "or a time such as 2025-11-24T21:58:00Z");
  }
  if (ago || relative.find_first_of(":-") == std::string_view::npos) {
    auto duration = parse_duration(relative);
    if (!duration) {
      return bad(
          "expected a duration back from now (5m, 2h, 1d), RFC 3339 "
          "(2025-11-24T21:58:00Z) or a local time (2025-11-24 21:58:00, 21:58)");
    }
    return now_ms - duration->count();
  }
  if (auto at = absolute_time(trimmed, now_ms)) return *at;
  return bad(
      "expected RFC 3339 (2025-11-24T21:58:00Z), a local time (2025-11-24 21:58:00, "
      "21:58) or a duration back from now (5m, 2h, 1d)");
}

std::string duration_text(int64_t ms) {
  if (ms == 0) return "0";
  struct Unit {
    int64_t ms;
    const char* suffix;
  };
  for (const Unit unit :
       {Unit{86400000, "d"}, Unit{3600000, "h"}, Unit{60000, "m"}, Unit{1000, "s"}}) {
    if (ms % unit.ms == 0) return fmt::format("{}{}", ms / unit.ms, unit.suffix);
  }
  return fmt::format("{}ms", ms);
}

}  // namespace statefun::emulator
