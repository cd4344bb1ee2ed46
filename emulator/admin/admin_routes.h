// Internal to the admin API's .cc files: what every handler shares, and the
// route groups (one .cc each). Handlers are thin: they parse the request,
// call the dispatcher, the event hub or a StoreReader, and answer JSON.
#pragma once

#include <httplib.h>

#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "emulator/admin/admin_http.h"
#include "emulator/admin/admin_json.h"
#include "emulator/dev/event_hub.h"
#include "emulator/dev/reopenable_reader.h"
#include "runtime/engine/dispatcher.h"
#include "runtime/store/store_reader.h"

namespace statefun::emulator::admin {

// What the handlers work with. Outlives the server.
struct Context {
  Dispatcher& dispatcher;
  EventHub& hub;
  AdminFacts& facts;
  std::unique_ptr<StoreReader> reader;  // opened when the API starts
  std::atomic<bool> stopping{false};    // ends long polls and streams
  AdminHooks hooks{};                   // set before the API starts
  // `reader`, seen as what a snapshot restore closes and reopens.
  ReopenableReader* reopenable = nullptr;
};

void reply(httplib::Response& res, int status, const Json& body);
void reply_error(httplib::Response& res, const Error& error);
inline void reply_error(httplib::Response& res, ErrorCode code, std::string message) {
  reply_error(res, Error{code, std::move(message)});
}

// 503: a LongRequest was not admitted (too many streams and long polls).
void reply_too_many(httplib::Response& res);

// Query parameters.
std::optional<std::string> param(const httplib::Request& req, const char* name);
Result<int64_t> int_param(const httplib::Request& req, const char* name, int64_t fallback);
Result<std::optional<Address>> address_param(const httplib::Request& req, const char* name);

// The request body as a JSON object.
Result<Json> json_body(const httplib::Request& req);
// A typed value from a body: {"typename": T} plus exactly one of
// "base64" (the exact bytes), "json" (any JSON, stored as compact text),
// "text" (stored as its UTF-8 bytes) or "value" (the type's own notation,
// encoded as `statefun state set` encodes it).
Result<TypedValue> value_from(const Json& body);
// `ns/type/id` from three regex captures starting at `first`.
Address address_from(const httplib::Request& req, std::size_t first);

// Calls an asynchronous dispatcher operation and waits for its callback.
template <typename T>
T await(const std::function<void(std::function<void(T)>)>& start) {
  std::promise<T> promise;
  auto future = promise.get_future();
  start([&promise](T value) { promise.set_value(std::move(value)); });
  return future.get();
}

// The emulator's current time: the virtual clock's under --clock virtual,
// so expiries, due times and "5m ago" read as the application sees them.
int64_t now_ms(const Context& c);
// {"mode": "virtual"|"wall", "now": RFC 3339, "now_ms": ms}: /v1/clock and
// the status's "clock".
Json clock_json(const Context& c);

void register_state_routes(httplib::Server& server, Context& context);   // admin_state.cc
void register_read_routes(httplib::Server& server, Context& context);    // admin_reads.cc
void register_flow_routes(httplib::Server& server, Context& context);    // admin_flow.cc
void register_stream_routes(httplib::Server& server, Context& context);  // admin_stream.cc
void register_time_travel_routes(httplib::Server& server, Context& c);   // admin_time_travel.cc
void register_snapshot_routes(httplib::Server& server, Context& c);      // admin_snapshots.cc
void register_inbox_routes(httplib::Server& server, Context& c);         // admin_inbox.cc
void register_message_routes(httplib::Server& server, Context& c);       // admin_messages.cc
void register_clock_routes(httplib::Server& server, Context& c);         // admin_clock.cc
void register_topic_routes(httplib::Server& server, Context& c);         // admin_topics.cc

}  // namespace statefun::emulator::admin
