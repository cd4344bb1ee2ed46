// Admin routes that touch state and timers: list addresses, read, write and
// delete state (writes are dispatcher edits: one step of their own between
// two steps of the address), list, cancel and fire timers.
#include <fmt/format.h>

#include "emulator/admin/admin_routes.h"
#include "runtime/store/entity_search.h"

namespace statefun::emulator::admin {
namespace {

constexpr const char* kAddress = R"(/v1/state/([^/]+)/([^/]+)/([^/]+))";
constexpr const char* kStateName = R"(/v1/state/([^/]+)/([^/]+)/([^/]+)/([^/]+))";

std::string names_of(const std::vector<StoredState>& states) {
  std::string out;
  for (const auto& s : states) out += (out.empty() ? "" : ", ") + s.name;
  return out.empty() ? "none" : out;
}

Json registered_json(Context& c, const FunctionType& type) {
  auto specs = c.hub.registered(type);
  if (!specs) return nullptr;
  Json list = Json::array();
  for (const auto& spec : *specs) list.push_back(spec_json(spec));
  return list;
}

void get_address(Context& c, const httplib::Request& req, httplib::Response& res) {
  const Address address = address_from(req, 1);
  auto body = query_states(*c.reader, address, now_ms(c));
  if (!body) return reply_error(res, body.error());
  (*body)["registered"] = registered_json(c, address.type);
  reply(res, 200, *body);
}

void get_state(Context& c, const httplib::Request& req, httplib::Response& res) {
  const Address address = address_from(req, 1);
  const std::string name = req.matches[4].str();
  auto states = c.reader->states(address, now_ms(c));
  if (!states) return reply_error(res, states.error());
  for (const auto& s : *states) {
    if (s.name == name) {
      Json body = {{"address", address.str()}, {"state", state_json(s)}};
      return reply(res, 200, body);
    }
  }
  reply_error(
      res, ErrorCode::kNotFound,
      fmt::format("{} has no state '{}' (its states: {})", address.str(), name, names_of(*states)));
}

// A write to a name that is neither registered by the function type nor
// stored is almost certainly a typo: the function would never see it.
Result<void> check_known_name(AddressEdit& edit, const std::string& name) {
  const auto& specs = edit.registered();
  for (const auto& spec : specs) {
    if (spec.name == name) return {};
  }
  auto stored = edit.states();
  if (!stored) return std::unexpected(stored.error());
  for (const auto& s : *stored) {
    if (s.name == name) return {};
  }
  if (specs.empty()) {
    return make_error(ErrorCode::kNotFound,
                      fmt::format("{} has no state '{}', and {} has not registered its states "
                                  "since statefun dev started (send it a message first)",
                                  edit.address().str(), name, edit.address().type.str()));
  }
  std::string names;
  for (const auto& spec : specs) names += (names.empty() ? "" : ", ") + spec.name;
  return make_error(ErrorCode::kNotFound, fmt::format("{} registers no state '{}' (its states: {})",
                                                      edit.address().type.str(), name, names));
}

void put_state(Context& c, const httplib::Request& req, httplib::Response& res) {
  Address address = address_from(req, 1);
  std::string name = req.matches[4].str();
  auto body = json_body(req);
  if (!body) return reply_error(res, body.error());
  auto value = value_from(*body);
  if (!value) return reply_error(res, value.error());
  auto result = await<Result<void>>([&](auto done) {
    c.dispatcher.edit_address(
        address, "statefun/state-set",
        [name, value = *value](AddressEdit& edit) -> Result<void> {
          if (auto r = check_known_name(edit, name); !r) return r;
          return edit.write(name, value);
        },
        std::move(done));
  });
  if (!result) return reply_error(res, result.error());
  reply(res, 200, {{"address", address.str()}, {"name", name}, {"written", true}});
}

void delete_states(Context& c, const httplib::Request& req, httplib::Response& res) {
  Address address = address_from(req, 1);
  std::optional<std::string> only;
  if (req.matches.size() > 4) only = req.matches[4].str();
  auto removed = std::make_shared<std::vector<std::string>>();
  auto result = await<Result<void>>([&](auto done) {
    c.dispatcher.edit_address(
        address, "statefun/state-rm",
        [only, removed](AddressEdit& edit) -> Result<void> {
          auto stored = edit.states();
          if (!stored) return std::unexpected(stored.error());
          for (const auto& s : *stored) {
            if (only && s.name != *only) continue;
            if (auto r = edit.remove(s.name); !r) return r;
            removed->push_back(s.name);
          }
          if (removed->empty()) {
            return make_error(ErrorCode::kNotFound,
                              only ? fmt::format("{} has no state '{}' (its states: {})",
                                                 edit.address().str(), *only, names_of(*stored))
                                   : fmt::format("{} has no state", edit.address().str()));
          }
          return {};
        },
        std::move(done));
  });
  if (!result) return reply_error(res, result.error());
  reply(res, 200, {{"address", address.str()}, {"removed", *removed}});
}

void cancel_by_token(Context& c, const httplib::Request& req, httplib::Response& res) {
  auto token = param(req, "token");
  if (!token || token->empty()) {
    return reply_error(res, ErrorCode::kInvalidArgument, "give a timer id or ?token=");
  }
  auto sender = address_param(req, "sender");
  if (!sender) return reply_error(res, sender.error());
  auto timers = c.reader->timers(std::nullopt);
  if (!timers) return reply_error(res, timers.error());
  Json cancelled = Json::array();
  for (const auto& t : *timers) {
    if (t.token != *token || (*sender && t.sender != **sender)) continue;
    auto found =
        await<Result<bool>>([&](auto done) { c.dispatcher.cancel_timer(t.id, std::move(done)); });
    if (!found) return reply_error(res, found.error());
    if (*found) cancelled.push_back(t.id);
  }
  if (cancelled.empty()) {
    return reply_error(res, ErrorCode::kNotFound,
                       fmt::format("no pending timer with token '{}'", *token));
  }
  reply(res, 200, {{"cancelled", cancelled}});
}

void timer_op(Context& c, const httplib::Request& req, httplib::Response& res, bool fire) {
  const int64_t id = std::stoll(req.matches[1].str());
  auto found = await<Result<bool>>([&](auto done) {
    fire ? c.dispatcher.fire_timer(id, std::move(done))
         : c.dispatcher.cancel_timer(id, std::move(done));
  });
  if (!found) return reply_error(res, found.error());
  if (!*found) {
    return reply_error(res, ErrorCode::kNotFound, fmt::format("no pending timer {}", id));
  }
  reply(res, 200, {{fire ? "fired" : "cancelled", Json::array({id})}});
}

}  // namespace

void register_state_routes(httplib::Server& server, Context& c) {
  server.Get("/v1/addresses", [&c](const httplib::Request& req, httplib::Response& res) {
    std::optional<FunctionType> type;
    if (auto text = param(req, "type"); text && !text->empty()) {
      type = parse_typename(*text);
      if (!type || text->find('/') != text->rfind('/')) {
        return reply_error(
            res, ErrorCode::kInvalidArgument,
            fmt::format("'{}' is not a function type: expected namespace/type", *text));
      }
    }
    auto body = query_addresses(*c.reader, type);
    body ? reply(res, 200, *body) : reply_error(res, body.error());
  });
  // Entities by address prefix, a page at a time (the web console's search).
  server.Get("/v1/entities", [&c](const httplib::Request& req, httplib::Response& res) {
    EntitySearch search;
    search.prefix = param(req, "prefix").value_or("");
    auto after = address_param(req, "after");
    if (!after) return reply_error(res, after.error());
    search.after = *after;
    auto limit = int_param(req, "limit", 50);
    if (!limit) return reply_error(res, limit.error());
    if (*limit < 1 || *limit > 1000) {
      return reply_error(res, ErrorCode::kInvalidArgument,
                         fmt::format("query parameter limit={} is not between 1 and 1000", *limit));
    }
    search.limit = *limit;
    auto rows = search_entities(database_path(c.facts.data_dir), search, now_ms(c));
    if (!rows) return reply_error(res, rows.error());
    Json list = Json::array();
    for (const auto& row : *rows) {
      list.push_back({{"address", row.address.str()}, {"states", row.states}});
    }
    // A full page may have a next one; its first entity comes after our last.
    const bool full = static_cast<int64_t>(rows->size()) == search.limit;
    reply(res, 200,
          {{"entities", std::move(list)},
           {"next", full ? Json(rows->back().address.str()) : Json(nullptr)}});
  });
  server.Get(kAddress, [&c](const auto& req, auto& res) { get_address(c, req, res); });
  server.Get(kStateName, [&c](const auto& req, auto& res) { get_state(c, req, res); });
  server.Put(kStateName, [&c](const auto& req, auto& res) { put_state(c, req, res); });
  server.Delete(kStateName, [&c](const auto& req, auto& res) { delete_states(c, req, res); });
  server.Delete(kAddress, [&c](const auto& req, auto& res) { delete_states(c, req, res); });

  server.Get("/v1/timers", [&c](const httplib::Request& req, httplib::Response& res) {
    auto target = address_param(req, "address");
    if (!target) return reply_error(res, target.error());
    auto body = query_timers(*c.reader, *target, now_ms(c));
    body ? reply(res, 200, *body) : reply_error(res, body.error());
  });
  server.Delete("/v1/timers", [&c](const auto& req, auto& res) { cancel_by_token(c, req, res); });
  server.Delete(R"(/v1/timers/(\d{1,18}))",
                [&c](const auto& req, auto& res) { timer_op(c, req, res, false); });
  server.Post(R"(/v1/timers/(\d{1,18})/fire)",
              [&c](const auto& req, auto& res) { timer_op(c, req, res, true); });
}

}  // namespace statefun::emulator::admin
