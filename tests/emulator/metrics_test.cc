#include "emulator/admin/metrics.h"

#include <catch2/catch.hpp>

#include "emulator/dev/event_hub.h"

using namespace statefun;
using namespace statefun::emulator;

namespace {
TraceRecord step(int64_t id, int invocations, int64_t duration_us) {
  return TraceRecord{id, 0, {{"example", "person"}, "Bob"}, invocations, "t/m", duration_us, {}, 1,
                     0,  0};
}
}  // namespace

TEST_CASE("metrics count steps, batches, latency and retries per function type", "[emulator]") {
  Metrics metrics;
  metrics.record_step(step(1, 1, 2000));
  metrics.record_step(step(2, 3, 30000));
  metrics.record_step(step(3, 0, 0));  // an admin edit
  metrics.record_failure({{"example", "person"}, "Bob"});
  DispatcherStatus status;
  status.queued_by_type["example/person"] = 4;
  const std::string text = metrics.render(status);
  auto has = [&](const std::string& line) { return text.find(line + "\n") != std::string::npos; };
  CHECK(has("statefun_steps_total{function_type=\"example/person\"} 3"));
  CHECK(has("statefun_messages_total{function_type=\"example/person\"} 4"));
  CHECK(has("statefun_admin_edits_total{function_type=\"example/person\"} 1"));
  CHECK(has("statefun_retries_total{function_type=\"example/person\"} 1"));
  CHECK(has("statefun_batch_size_bucket{function_type=\"example/person\",le=\"1\"} 1"));
  CHECK(has("statefun_batch_size_bucket{function_type=\"example/person\",le=\"5\"} 2"));
  CHECK(has("statefun_batch_size_count{function_type=\"example/person\"} 2"));
  CHECK(
      has("statefun_function_latency_seconds_bucket{function_type=\"example/"
          "person\",le=\"0.0025\"} 1"));
  CHECK(has(
      "statefun_function_latency_seconds_bucket{function_type=\"example/person\",le=\"+Inf\"} 2"));
  CHECK(has("statefun_queue_depth{function_type=\"example/person\"} 4"));
  CHECK(has("# TYPE statefun_function_latency_seconds histogram"));
}

TEST_CASE("the event hub forwards, remembers registrations and replays recent steps",
          "[emulator]") {
  struct Counting : DispatcherObserver {
    int steps = 0;
    void on_step(const TraceRecord&) override { ++steps; }
  } console;
  EventHub hub(&console);
  hub.on_step(step(1, 1, 10));
  auto late = hub.subscribe(true);
  auto live = hub.subscribe(false);
  hub.on_step(step(2, 1, 10));
  hub.on_states_registered({"example", "person"}, {{"visits", "io.statefun.types/int"}});
  CHECK(console.steps == 2);

  auto first = late->next(std::chrono::milliseconds(10));
  REQUIRE(first);
  CHECK(first->kind == "step");
  CHECK(first->step == 1);  // replayed
  CHECK(late->next(std::chrono::milliseconds(10))->step == 2);
  auto only = live->next(std::chrono::milliseconds(10));
  REQUIRE(only);
  CHECK(only->step == 2);
  CHECK(live->next(std::chrono::milliseconds(10))->kind == "states_registered");

  auto specs = hub.registered({"example", "person"});
  REQUIRE(specs);
  CHECK(specs->front().name == "visits");
  CHECK_FALSE(hub.registered({"example", "greeter"}));

  hub.close();
  CHECK_FALSE(live->next(std::chrono::milliseconds(10)));
  CHECK(live->closed());
}
