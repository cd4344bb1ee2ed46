#include "cli/time_travel_view.h"

#include <fmt/format.h>

#include <algorithm>

namespace statefun::cli {

namespace {

std::string text_of(const Json& value, const char* key) {
  auto it = value.find(key);
  return it != value.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t int_of(const Json& value, const char* key) {
  auto it = value.find(key);
  return it != value.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

// A value document, or "(absent)" / the given placeholder for null.
std::string value_or(const Json& value, const values::ProtoTypes* protos, const Style& style,
                     const char* absent, std::size_t max = 60) {
  if (!value.is_object() || !value.contains("typename") || value.at("typename").is_null()) {
    return style.dim(absent);
  }
  Json copy = value;
  redecode(copy, protos);
  return value_cell(copy, protos, max);
}

std::string pad(const std::string& text, std::size_t width) {
  const std::size_t shown = display_width(text);
  return text + std::string(width > shown ? width - shown : 0, ' ');
}

std::string plural(int64_t n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

}  // namespace

std::string size_text(int64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  if (bytes < 1024 * 1024) return fmt::format("{:.1f} KiB", bytes / 1024.0);
  if (bytes < int64_t{1024} * 1024 * 1024) return fmt::format("{:.1f} MiB", bytes / 1048576.0);
  return fmt::format("{:.2f} GiB", bytes / 1073741824.0);
}

std::string history_table(const Json& history, const values::ProtoTypes* protos,
                          const Style& style) {
  Table table({"VERSION", "STEP", "TIME", "CAUSE", "SENDER", "NAME", "VALUE"});
  for (const auto& row : history["history"]) {
    const std::string caller = text_of(row, "caller");
    table.add({std::to_string(int_of(row, "version")), std::to_string(int_of(row, "step")),
               style.dim(clock_time(int_of(row, "at_ms"))), text_of(row, "cause"),
               caller.empty() ? style.dim("-") : caller, style.bold(text_of(row, "name")),
               row.value("deleted", false) ? style.dim("(deleted)")
                                           : value_or(row, protos, style, "(deleted)")});
  }
  std::string out = table.render(style);
  if (const int64_t floor = int_of(history, "floor"); floor > 0) {
    out += style.dim(fmt::format(
        "(versions before {} were folded by retention: each state keeps its value from before "
        "them; see statefun dev --history-versions)\n",
        floor));
  }
  return out;
}

std::string change_lines(const Json& changes, const values::ProtoTypes* protos,
                         const Style& style) {
  std::size_t width = 0;
  for (const auto& change : changes)
    width = std::max(width, display_width(text_of(change, "name")));
  std::string out;
  for (const auto& change : changes) {
    out += fmt::format("  {}  {} → {}\n", style.bold(pad(text_of(change, "name"), width)),
                       value_or(change["before"], protos, style, "(absent)"),
                       value_or(change["after"], protos, style, "(absent)"));
  }
  return out;
}

std::string rewind_text(const Json& rewind, const values::ProtoTypes* protos, const Style& style) {
  const std::string address = text_of(rewind, "address");
  const int64_t from = int_of(rewind, "from_version");
  const int64_t to = int_of(rewind, "to_version");
  const int64_t now = int_of(rewind, "new_version");
  const Json& changes = rewind["changes"];
  if (changes.empty()) {
    return fmt::format(
        "{}: already has the values of version {} (it is at version {}): nothing "
        "to change\n",
        style.bold(address), to, from);
  }
  if (rewind.value("dry_run", false)) {
    return fmt::format(
               "{}: a rewind to version {} would change (dry run: nothing written; it is "
               "at version {}):\n",
               style.bold(address), to, from) +
           change_lines(changes, protos, style);
  }
  return fmt::format("{}: rewound to the values of version {} as version {} (was version {}):\n",
                     style.bold(address), to, now, from) +
         change_lines(changes, protos, style) +
         style.dim(fmt::format("undo with: statefun rewind {} --to {}\n", address, from));
}

std::string simulation_text(const Json& simulation, const values::ProtoTypes* protos,
                            const Style& style) {
  std::string out = fmt::format(
      "{}: replaying {} from version {} through the function as it is now (dry run: nothing "
      "written)\n",
      style.bold(text_of(simulation, "address")),
      plural(int_of(simulation, "replayed"), "message", "messages"),
      int_of(simulation, "from_version"));
  const Json& changes = simulation["changes"];
  out += changes.empty()
             ? "state: the same as now\n"
             : "state (now → after the replay):\n" + change_lines(changes, protos, style);
  auto section = [&](const char* title, const Json& items, auto&& line) {
    if (items.empty()) {
      out += fmt::format("{}: none\n", title);
      return;
    }
    out += fmt::format("{} ({}):\n", title, items.size());
    for (const auto& item : items) out += "  " + line(item) + "\n";
  };
  section("messages", simulation["messages"], [&](const Json& m) {
    return fmt::format("→ {}  {}  {}", text_of(m, "target"), text_of(m["message"], "typename"),
                       value_or(m["message"], protos, style, "(no value)", 80));
  });
  section("delayed messages", simulation["delayed"], [&](const Json& d) {
    const std::string token = text_of(d, "token");
    if (d.value("cancel", false)) return fmt::format("✕ cancel token {}", token);
    return fmt::format("⏲ {} in {}{}  {}  {}", text_of(d, "target"),
                       format_duration_us(int_of(d, "delay_ms") * 1000),
                       token.empty() ? "" : " token " + token, text_of(d["message"], "typename"),
                       value_or(d["message"], protos, style, "(no value)", 80));
  });
  section("egress", simulation["egress"], [&](const Json& e) {
    // A playground record reads as its topic and payload, as `egress read` shows it.
    const Json& decoded = e["record"].value("value", Json());
    if (decoded.is_object() && decoded.contains("topic") && decoded["topic"].is_string() &&
        decoded.contains("payload") && decoded["payload"].is_string()) {
      return fmt::format("⇥ {}  {}", decoded["topic"].get<std::string>(),
                         decoded["payload"].get<std::string>());
    }
    return fmt::format("⇥ {}  {}", text_of(e, "egress"),
                       value_or(e["record"], protos, style, "(no value)", 100));
  });
  return out;
}

Json state_changes(const Json& before, const Json& after_states) {
  Json after = Json::object();
  for (const auto& state : after_states["states"]) after[text_of(state, "name")] = state;
  std::vector<std::string> names;
  for (const auto& [name, value] : before.items()) names.push_back(name);
  for (const auto& [name, value] : after.items()) {
    if (!before.contains(name)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  Json changes = Json::array();
  for (const auto& name : names) {
    const Json b = before.contains(name) ? before[name] : Json(nullptr);
    const Json a = after.contains(name) ? after[name] : Json(nullptr);
    const bool same = !b.is_null() && !a.is_null() && b["typename"] == a["typename"] &&
                      b["base64"] == a["base64"];
    if (!same) changes.push_back({{"name", name}, {"before", b}, {"after", a}});
  }
  return changes;
}

std::string snapshot_table(const Json& list, const Style& style) {
  Table table({"NAME", "CREATED", "SIZE", "STEP", "ENTITIES", "PENDING", "TIMERS"});
  for (const auto& s : list["snapshots"]) {
    const std::string name = text_of(s, "name");
    table.add({s.value("automatic", false) ? style.dim(name) : style.bold(name),
               local_date_time_text(int_of(s, "created_at_ms")), size_text(int_of(s, "size_bytes")),
               std::to_string(int_of(s, "last_step")), std::to_string(int_of(s, "entities")),
               std::to_string(int_of(s, "pending")), std::to_string(int_of(s, "timers"))});
  }
  return table.render(style);
}

std::string snapshot_diff_table(const Json& diff, const values::ProtoTypes* protos,
                                const Style& style) {
  const std::string a = text_of(diff, "a");
  const std::string b = text_of(diff, "b");
  if (diff["differences"].empty()) return fmt::format("no differences between {} and {}\n", a, b);
  Table table({"ADDRESS", "NAME", a, b});
  for (const auto& d : diff["differences"]) {
    table.add({text_of(d, "address"), style.bold(text_of(d, "name")),
               value_or(d["a"], protos, style, "-"), value_or(d["b"], protos, style, "-")});
  }
  return table.render(style);
}

std::string snapshot_line(const char* verb, const Json& snapshot) {
  return fmt::format("{} snapshot {}: {}, {}, {}, {} ({})\n", verb, text_of(snapshot, "name"),
                     plural(int_of(snapshot, "entities"), "entity", "entities"),
                     plural(int_of(snapshot, "pending"), "pending message", "pending messages"),
                     plural(int_of(snapshot, "timers"), "timer", "timers"),
                     size_text(int_of(snapshot, "size_bytes")), text_of(snapshot, "path"));
}

std::string restore_line(const Json& restored, bool online) {
  const Json& s = restored["snapshot"];
  std::string out = fmt::format(
      "restored snapshot {}{}: {}, {}, {} (snapshot of step {}; steps go on from #{})\n",
      text_of(restored, "restored"), online ? " into the running emulator" : "",
      plural(int_of(s, "entities"), "entity", "entities"),
      plural(int_of(restored, "pending"), "pending message", "pending messages"),
      plural(int_of(restored, "timers"), "timer", "timers"), int_of(s, "last_step"),
      int_of(restored, "steps") + 1);
  if (restored.contains("undo")) {
    const std::string undo = text_of(restored["undo"], "name");
    out += fmt::format(
        "the state before it was saved as snapshot {}: `statefun snapshot restore {}` undoes "
        "this\n",
        undo, undo);
  }
  return out;
}

}  // namespace statefun::cli
