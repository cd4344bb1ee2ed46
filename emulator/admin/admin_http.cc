// Routing, authentication and the small routes of the admin API: health,
// status, metrics, wait-until-idle and sending a message. State, reads and
// the event stream live in admin_state.cc, admin_reads.cc, admin_stream.cc.
#include "emulator/admin/admin_http.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "emulator/admin/admin_console.h"
#include "emulator/admin/admin_routes.h"
#include "emulator/admin/listener.h"
#include "emulator/surfaces/request_guard.h"
#include "emulator/values/value_codec.h"
#include "runtime/core/time_text.h"

namespace statefun::emulator {
namespace admin {

void reply(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(to_text(body) + "\n", "application/json");
}

void reply_error(httplib::Response& res, const Error& error) {
  reply(res, http_status(error.code), error_json(error));
}

void reply_too_many(httplib::Response& res) {
  reply_error(res, ErrorCode::kUnavailable,
              "too many event streams and long polls at once; close some and try again");
}

std::optional<std::string> param(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return std::nullopt;
  return req.get_param_value(name);
}

Result<int64_t> int_param(const httplib::Request& req, const char* name, int64_t fallback) {
  auto text = param(req, name);
  if (!text) return fallback;
  char* end = nullptr;
  const long long value = std::strtoll(text->c_str(), &end, 10);
  if (text->empty() || *end != '\0') {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("query parameter {}='{}' is not an integer", name, *text));
  }
  return static_cast<int64_t>(value);
}

Result<std::optional<Address>> address_param(const httplib::Request& req, const char* name) {
  auto text = param(req, name);
  if (!text || text->empty()) return std::optional<Address>();
  auto address = parse_address(*text);
  if (!address) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("'{}' is not an address: expected namespace/type/id", *text));
  }
  return std::optional<Address>(std::move(*address));
}

Result<Json> json_body(const httplib::Request& req) {
  auto body = Json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return make_error(ErrorCode::kInvalidArgument, "the request body must be a JSON object");
  }
  return body;
}

Result<TypedValue> value_from(const Json& body) {
  auto type = body.find("typename");
  if (type == body.end() || !type->is_string() || type->get<std::string>().empty()) {
    return make_error(ErrorCode::kInvalidArgument, "\"typename\" (a non-empty string) is required");
  }
  TypedValue value{type->get<std::string>(), true, ""};
  const int given = body.contains("base64") + body.contains("json") + body.contains("text") +
                    body.contains("value");
  if (given != 1) {
    return make_error(ErrorCode::kInvalidArgument,
                      "give the value as exactly one of \"base64\", \"json\", \"text\" or "
                      "\"value\"");
  }
  if (auto b = body.find("base64"); b != body.end()) {
    auto bytes = b->is_string() ? values::base64_decode(b->get<std::string>()) : std::nullopt;
    if (!bytes) return make_error(ErrorCode::kInvalidArgument, "\"base64\" is not base64");
    value.value = std::move(*bytes);
  } else if (auto j = body.find("json"); j != body.end()) {
    value.value = to_text(*j);
  } else if (auto v = body.find("value"); v != body.end()) {
    // The type's own notation, encoded as `statefun state set` does: `5`
    // for io.statefun.types/int, `true`, JSON for a JSON type, ...
    if (!v->is_string()) {
      return make_error(ErrorCode::kInvalidArgument,
                        "\"value\" must be a string in the type's own notation");
    }
    auto bytes =
        values::encode(value.type_name, values::InputForm::kNatural, v->get<std::string>());
    if (!bytes) return std::unexpected(bytes.error());
    value.value = std::move(*bytes);
  } else {
    const auto& text = body["text"];
    if (!text.is_string())
      return make_error(ErrorCode::kInvalidArgument, "\"text\" must be a string");
    value.value = text.get<std::string>();
  }
  return value;
}

Address address_from(const httplib::Request& req, std::size_t first) {
  return Address{{req.matches[first].str(), req.matches[first + 1].str()},
                 req.matches[first + 2].str()};
}

int64_t now_ms(const Context& c) {
  if (c.facts.clock) return c.facts.clock->now_ms();
  return SystemClock().now_ms();
}

namespace {

std::optional<std::string> header(const httplib::Request& req, const char* name) {
  if (!req.has_header(name)) return std::nullopt;
  return req.get_header_value(name);
}

GuardedRequest guarded(const httplib::Request& req) {
  // Checked before routing, when the body is not read yet: its headers say
  // whether there is one.
  const std::string length = req.get_header_value("Content-Length");
  const bool has_body = req.has_header("Transfer-Encoding") || (!length.empty() && length != "0");
  return {req.method, header(req, "Host"), header(req, "Origin"), header(req, "Content-Type"),
          has_body};
}

Json process_json(const ProcessStatus& p) {
  return {
      {"name", p.name},
      {"command", p.command},
      {"state", p.state},
      {"pid", p.pid ? Json(p.pid) : Json(nullptr)},
      {"restarts", p.restarts},
      {"last_exit", p.last_exit.empty() ? Json(nullptr) : Json(p.last_exit)},
      {"last_exit_at", p.last_exit_at_ms ? Json(utc_time_text(p.last_exit_at_ms)) : Json(nullptr)}};
}

Json kafka_link_json(const kafka::LinkStatus& k) {
  return {{"direction", k.direction},
          {"id", k.id},
          {"address", k.address},
          {"state", k.state},
          {"error", k.error.empty() ? Json(nullptr) : Json(k.error)},
          {"records", k.records},
          {"skipped", k.skipped}};
}

}  // namespace

Json clock_json(const Context& c) {
  const int64_t now = now_ms(c);
  return {{"mode", c.facts.virtual_clock ? "virtual" : "wall"},
          {"now", utc_time_text(now)},
          {"now_ms", now}};
}

namespace {

// One line per stuck address and its reason, for a wait that timed out.
std::string stuck_text(const DispatcherStatus& s) {
  std::string text;
  for (const auto& failing : s.failing_addresses) {
    const auto& f = *failing.failure;
    text += fmt::format("\n  {} ({} message{}, attempt {}): {}", failing.address.str(), f.messages,
                        f.messages == 1 ? "" : "s", f.attempt, f.reason);
    if (!f.output.empty()) {
      text += fmt::format("\n    [{}] printed during the call:", f.process);
      for (const auto& line : f.output) text += "\n    | " + line.text;
    } else if (!f.body.empty()) {
      text += "\n    response body: " + f.body.substr(0, f.body.find('\n'));
    }
  }
  if (s.failing > static_cast<int64_t>(s.failing_addresses.size())) {
    text += fmt::format("\n  ... and {} more failing address(es)",
                        s.failing - static_cast<int64_t>(s.failing_addresses.size()));
  }
  return text;
}

// Bytes of the regular files at `path` (a file, or a folder's files, not
// recursing); 0 for what is missing or unreadable.
int64_t file_bytes(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) {
    const auto size = std::filesystem::file_size(path, ec);
    return ec ? 0 : static_cast<int64_t>(size);
  }
  int64_t total = 0;
  for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
    if (entry.is_regular_file(ec)) {
      const auto size = entry.file_size(ec);
      if (!ec) total += static_cast<int64_t>(size);
    }
  }
  return total;
}

// What the data directory holds: the database with its write-ahead log,
// the snapshots, and how much of the database retention may prune.
Json data_usage_json(const Context& c, const DispatcherStatus& s) {
  const std::string db = database_path(c.facts.data_dir);
  return {{"database_bytes", file_bytes(db) + file_bytes(db + "-wal")},
          {"snapshots_bytes", file_bytes(std::filesystem::path(c.facts.data_dir) / "snapshots")},
          {"retained_bytes", s.retained_bytes},
          {"retention_size_bytes", c.facts.retention_bytes},
          {"retention_age_ms", c.facts.retention_age_ms}};
}

Json status_json(const Context& c, const DispatcherStatus& s) {
  Json functions = Json::array();
  for (const auto& [pattern, url] : c.facts.functions) {
    functions.push_back({{"functions", pattern}, {"url", url}});
  }
  Json failing = Json::array();
  for (const auto& f : s.failing_addresses) failing.push_back(failing_address_json(f));
  Json processes = Json::array();
  if (c.hooks.processes) {
    for (const auto& p : c.hooks.processes()) processes.push_back(process_json(p));
  }
  Json kafka = Json::array();
  if (c.hooks.kafka) {
    for (const auto& k : c.hooks.kafka()) kafka.push_back(kafka_link_json(k));
  }
  Json registered = Json::object();
  for (const auto& [type, specs] : c.hub.all_registered()) {
    Json list = Json::array();
    for (const auto& spec : specs) list.push_back(spec_json(spec));
    registered[type] = std::move(list);
  }
  return {{"running", true},
          {"version", c.facts.version},
          {"module", c.facts.module_path},
          {"data", c.facts.data_dir},
          {"admin_port", c.facts.admin_port},
          {"ingress_port", c.facts.ingress_port},
          {"egress_port", c.facts.egress_port},
          {"egress_topics", c.facts.egress_topics},
          {"functions", std::move(functions)},
          {"registered", std::move(registered)},
          {"pending", s.pending},
          {"in_flight", s.in_flight},
          {"unroutable", s.unroutable},
          {"timers", s.timers},
          {"steps", s.steps},
          {"failing", s.failing},
          {"queued_by_type", s.queued_by_type},
          {"idle", s.pending == 0 && s.in_flight == 0},
          {"store_failure", s.store_failure ? Json(s.store_failure->message) : Json(nullptr)},
          {"retrying", s.retrying},
          {"failing_addresses", std::move(failing)},
          {"processes", std::move(processes)},
          {"kafka", std::move(kafka)},
          {"data_usage", data_usage_json(c, s)},
          {"clock", clock_json(c)}};
}

Json status_json(const Context& c) { return status_json(c, c.dispatcher.status()); }

// 200 while the state database takes writes; 503 with the reason once it
// does not (a full disk being retried, or a failure that stopped dispatch).
void handle_health(Context& c, httplib::Response& res) {
  const auto s = c.dispatcher.status();
  if (!s.store_failure) return reply(res, 200, {{"ok", true}});
  Json body = error_json(*s.store_failure);
  body["ok"] = false;
  body["retrying"] = s.retrying;
  reply(res, 503, body);
}

// Long poll: answers as soon as nothing is pending or in flight, or 408
// after `timeout_ms`. Counters are published after each group commit, so
// "idle" means every step so far is committed too.
void handle_wait(Context& c, const httplib::Request& req, httplib::Response& res) {
  auto timeout = int_param(req, "timeout_ms", 60000);
  if (!timeout) return reply_error(res, timeout.error());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(*timeout);
  LongRequest long_request;
  if (!long_request.admitted()) return reply_too_many(res);
  for (;;) {
    const uint64_t seen = c.hub.commits();
    const auto s = c.dispatcher.status();
    if (s.pending == 0 && s.in_flight == 0) return reply(res, 200, status_json(c, s));
    if (c.stopping) {
      return reply_error(res, ErrorCode::kUnavailable, "statefun dev is shutting down");
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      // Name what is stuck and why, not just that something is.
      std::string message =
          fmt::format("not idle after {} ms: {} pending, {} in flight, {} failing address(es)",
                      *timeout, s.pending, s.in_flight, s.failing);
      if (s.failing > 0) {
        message += ":" + stuck_text(s);
      } else if (c.hooks.processes) {
        for (const auto& p : c.hooks.processes()) {
          if (p.state == "ready" || p.state == "running") continue;
          message +=
              fmt::format("\n  process {} is {}{}; its messages wait until it is ready", p.name,
                          p.state, p.last_exit.empty() ? "" : " (last exit: " + p.last_exit + ")");
        }
      }
      Json body = error_json({ErrorCode::kTimeout, message});
      body["status"] = status_json(c, s);
      return reply(res, 408, body);
    }
    // Counters change at commits; the slice covers a publish without one
    // (a failed call) and the deadline.
    c.hub.wait_for_commit(seen, std::chrono::milliseconds(20));
  }
}

void handle_send(Context& c, const httplib::Request& req, httplib::Response& res) {
  auto body = json_body(req);
  if (!body) return reply_error(res, body.error());
  const auto target_text = body->value("address", std::string());
  auto target = parse_address(target_text);
  if (!target) {
    return reply_error(res, ErrorCode::kInvalidArgument,
                       fmt::format("\"address\" '{}' is not namespace/type/id", target_text));
  }
  auto value = value_from(*body);
  if (!value) return reply_error(res, value.error());
  InboxMessage message;
  message.target = *target;
  message.argument = std::move(*value);
  message.source = MessageSource::kAdmin;
  // Every step committed after this one may be an effect of the message.
  const int64_t step = c.dispatcher.status().steps;
  auto result = await<Result<int64_t>>(
      [&](auto done) { c.dispatcher.accept_with_id(std::move(message), std::move(done)); });
  // Not accepted means not durable (the store failed, or statefun dev is
  // stopping): the client may try again later.
  if (!result) return reply(res, 503, error_json(result.error()));
  // The id is the root of the message's causal tree (/v1/messages/ID/tree).
  reply(res, 200,
        {{"id", *result},
         {"address", target->str()},
         {"typename", (*body)["typename"]},
         {"after_step", step}});
}

}  // namespace
}  // namespace admin

std::string admin_token_from_env() {
  const char* token = std::getenv("STATEFUN_ADMIN_TOKEN");
  return token ? std::string(token) : std::string();
}

AdminApi::AdminApi(Dispatcher& dispatcher, EventHub& hub, AdminFacts facts)
    : m_facts(std::move(facts)),
      m_context(new admin::Context{dispatcher, hub, m_facts, {}, {}}),
      m_listener(std::make_unique<Listener>("admin API", 32)) {
  using namespace admin;
  auto& server = m_listener->server();
  auto& c = *m_context;

  m_listener->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (m_facts.token.empty()) {
      // No token: only this machine's own tools may drive it, never a web
      // page (request_guard.h says how).
      if (auto refusal = check_request(guarded(req), GuardPolicy{})) {
        reply(res, refusal->status,
              {{"error", refusal->reason},
               {"code", refusal->status == 415 ? "invalid_argument" : "forbidden"}});
        return httplib::Server::HandlerResponse::Handled;
      }
      return httplib::Server::HandlerResponse::Unhandled;
    }
    if (req.get_header_value("Authorization") == "Bearer " + m_facts.token) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    // The console's files hold no data and a browser cannot send a bearer
    // token when it opens a URL: they are served (under the Host check)
    // and the page asks for the token, which it sends on every request.
    if (req.method == "GET" && is_console_path(req.path)) {
      GuardPolicy host_only;
      host_only.check_origin = false;
      host_only.require_json_writes = false;
      if (auto refusal = check_request(guarded(req), host_only)) {
        reply(res, refusal->status, {{"error", refusal->reason}, {"code", "forbidden"}});
        return httplib::Server::HandlerResponse::Handled;
      }
      return httplib::Server::HandlerResponse::Unhandled;
    }
    res.set_header("WWW-Authenticate", "Bearer");
    reply(res, 401,
          {{"error", "missing or wrong bearer token (set STATEFUN_ADMIN_TOKEN)"},
           {"code", "unauthenticated"}});
    return httplib::Server::HandlerResponse::Handled;
  });
  server.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        const int status = res.status;
        reply(res, status,
              {{"error", status == 404 ? fmt::format("no admin route {} {}", req.method, req.path)
                                       : fmt::format("HTTP {}", status)},
               {"code", status == 404 ? "not_found" : "invalid_argument"}});
        return httplib::Server::HandlerResponse::Handled;
      }));
  server.Get("/v1/health",
             [&c](const httplib::Request&, httplib::Response& res) { handle_health(c, res); });
  server.Get("/v1/status", [&c](const httplib::Request&, httplib::Response& res) {
    reply(res, 200, status_json(c));
  });
  server.Get("/v1/wait", [&c](const httplib::Request& req, httplib::Response& res) {
    handle_wait(c, req, res);
  });
  server.Post("/v1/messages", [&c](const httplib::Request& req, httplib::Response& res) {
    handle_send(c, req, res);
  });
  auto metrics = [&c](const httplib::Request&, httplib::Response& res) {
    res.set_content(c.hub.metrics().render(c.dispatcher.status()),
                    "text/plain; version=0.0.4; charset=utf-8");
  };
  server.Get("/metrics", metrics);
  server.Get("/v1/metrics", metrics);
  register_state_routes(server, c);
  register_read_routes(server, c);
  register_flow_routes(server, c);
  register_stream_routes(server, c);
  register_time_travel_routes(server, c);
  register_snapshot_routes(server, c);
  register_inbox_routes(server, c);
  register_message_routes(server, c);
  register_clock_routes(server, c);
  register_topic_routes(server, c);
  register_console_routes(server);
}

AdminApi::~AdminApi() { stop(); }

Result<int> AdminApi::start(const std::string& host, int port) {
  auto reader = ReopenableReader::open(database_path(m_facts.data_dir));
  if (!reader) return std::unexpected(reader.error());
  m_context->reopenable = reader->get();
  m_context->reader = std::move(*reader);
  auto bound = m_listener->start(host, port);
  if (bound) m_facts.admin_port = *bound;
  return bound;
}

void AdminApi::stop() {
  m_context->stopping = true;
  m_context->hub.close();
  m_listener->stop();
}

void AdminApi::set_hooks(AdminHooks hooks) { m_context->hooks = std::move(hooks); }

void AdminApi::set_ports(int ingress_port, int egress_port) {
  m_facts.ingress_port = ingress_port;
  m_facts.egress_port = egress_port;
}

}  // namespace statefun::emulator
