// GET /v1/events: a server-sent-events stream of what the engine does (one
// `step` event per step, plus call failures, recoveries, state
// registrations). With ?after_step=N it first replays the committed steps
// after N from the database, then continues live without a gap or a
// duplicate (the hub keeps recent steps for exactly this hand-over).
#include <fmt/format.h>

#include <chrono>

#include "emulator/admin/admin_routes.h"
#include "emulator/admin/listener.h"

namespace statefun::emulator::admin {
namespace {

constexpr auto kPoll = std::chrono::milliseconds(250);
constexpr auto kKeepAlive = std::chrono::seconds(10);

struct Stream {
  // The stream's thread does not count against the admin API's workers.
  std::unique_ptr<LongRequest> long_request;
  std::shared_ptr<EventHub::Subscription> subscription;
  std::optional<Address> address;
  std::vector<TraceRecord> backlog;  // committed steps to replay first
  std::size_t replayed = 0;
  int64_t last_step = 0;
  std::chrono::steady_clock::time_point last_write = std::chrono::steady_clock::now();
};

std::string frame(const std::string& kind, const std::string& data, int64_t id) {
  std::string out = "event: " + kind + "\n";
  if (id) out += fmt::format("id: {}\n", id);
  return out + "data: " + data + "\n\n";
}

bool write(httplib::DataSink& sink, Stream& s, const std::string& text) {
  s.last_write = std::chrono::steady_clock::now();
  return sink.write(text.data(), text.size());
}

// One round of the stream: returns false to end it.
bool pump(Context& c, Stream& s, httplib::DataSink& sink) {
  if (c.stopping || !sink.is_writable()) return false;
  if (s.replayed < s.backlog.size()) {
    const auto& step = s.backlog[s.replayed++];
    s.last_step = std::max(s.last_step, step.step);
    return write(sink, s, frame("step", to_text(trace_json(step)), step.step));
  }
  auto event = s.subscription->next(kPoll);
  if (!event) {
    if (s.subscription->closed()) return false;
    if (std::chrono::steady_clock::now() - s.last_write >= kKeepAlive) {
      return write(sink, s, ": keep-alive\n\n");
    }
    return true;
  }
  if (event->kind == "step") {
    if (event->step <= s.last_step) return true;  // already replayed
    s.last_step = event->step;
  }
  if (s.address && event->address && *event->address != *s.address) return true;
  if (s.address && !event->address && event->kind != "lagged") return true;
  return write(sink, s, frame(event->kind, event->data, event->step));
}

void handle_events(Context& c, const httplib::Request& req, httplib::Response& res) {
  auto after = int_param(req, "after_step", -1);
  if (!after) return reply_error(res, after.error());
  auto address = address_param(req, "address");
  if (!address) return reply_error(res, address.error());
  auto stream = std::make_shared<Stream>();
  stream->long_request = std::make_unique<LongRequest>();
  if (!stream->long_request->admitted()) return reply_too_many(res);
  stream->address = *address;
  // Subscribe before reading the database: a step is then either in the
  // committed rows, in the hub's replay of recent steps, or live.
  stream->subscription = c.hub.subscribe(*after >= 0);
  if (*after >= 0) {
    TraceQuery query;
    query.after_step = *after;
    query.address = *address;
    query.limit = 100000;
    auto rows = c.reader->trace(query);
    if (!rows) {
      c.hub.unsubscribe(stream->subscription);
      return reply_error(res, rows.error());
    }
    stream->backlog = std::move(*rows);
    stream->last_step = *after;
  }
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      "text/event-stream",
      [&c, stream](std::size_t, httplib::DataSink& sink) {
        if (pump(c, *stream, sink)) return true;
        sink.done();
        return true;
      },
      [&c, stream](bool) { c.hub.unsubscribe(stream->subscription); });
}

}  // namespace

void register_stream_routes(httplib::Server& server, Context& c) {
  server.Get("/v1/events", [&c](const auto& req, auto& res) { handle_events(c, req, res); });
}

}  // namespace statefun::emulator::admin
