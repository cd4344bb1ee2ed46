#include "emulator/admin/metrics.h"

#include <fmt/format.h>

namespace statefun::emulator {
namespace {

// Label values escape backslash, quote and newline.
std::string label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

template <std::size_t N>
void Metrics::Histogram<N>::observe(const std::array<double, N>& bounds, double value) {
  std::size_t i = 0;
  while (i < N && value > bounds[i]) ++i;
  ++buckets[i];
  sum += value;
  ++count;
}

void Metrics::record_step(const TraceRecord& step) {
  std::lock_guard lock(m_mutex);
  auto& t = m_types[step.address.type.str()];
  ++t.steps;
  if (step.invocations == 0) {
    ++t.edits;
    return;
  }
  t.messages += step.invocations;
  t.sent += step.messages;
  t.delayed += step.delayed;
  t.egress += step.egress;
  t.batch.observe(kBatchBounds, step.invocations);
  t.latency.observe(kLatencyBounds, static_cast<double>(step.duration_us) / 1e6);
}

void Metrics::record_failure(const Address& address) {
  std::lock_guard lock(m_mutex);
  ++m_types[address.type.str()].retries;
}

std::string Metrics::render(const DispatcherStatus& status) const {
  std::lock_guard lock(m_mutex);
  std::string out;
  auto counter = [&](const char* name, const char* help, int64_t PerType::*field) {
    header(out, name, "counter", help);
    for (const auto& [type, t] : m_types) {
      out += fmt::format("{}{{function_type=\"{}\"}} {}\n", name, label(type), t.*field);
    }
  };
  counter("statefun_steps_total", "Committed steps (function responses and admin edits).",
          &PerType::steps);
  counter("statefun_messages_total", "Messages delivered to functions and consumed by a step.",
          &PerType::messages);
  counter("statefun_messages_sent_total", "Messages functions sent to other functions.",
          &PerType::sent);
  counter("statefun_delayed_messages_total", "Delayed messages functions scheduled.",
          &PerType::delayed);
  counter("statefun_egress_records_total", "Egress records functions produced.", &PerType::egress);
  counter("statefun_retries_total", "Failed function calls (each is retried with backoff).",
          &PerType::retries);
  counter("statefun_admin_edits_total", "State edits made through the admin API.", &PerType::edits);

  auto histogram = [&](const char* name, const char* help, const auto& bounds, auto member) {
    header(out, name, "histogram", help);
    for (const auto& [type, t] : m_types) {
      const auto& h = t.*member;
      int64_t cumulative = 0;
      for (std::size_t i = 0; i <= bounds.size(); ++i) {
        cumulative += h.buckets[i];
        const std::string le = i < bounds.size() ? fmt::format("{}", bounds[i]) : "+Inf";
        out += fmt::format("{}_bucket{{function_type=\"{}\",le=\"{}\"}} {}\n", name, label(type),
                           le, cumulative);
      }
      out += fmt::format("{}_sum{{function_type=\"{}\"}} {}\n", name, label(type), h.sum);
      out += fmt::format("{}_count{{function_type=\"{}\"}} {}\n", name, label(type), h.count);
    }
  };
  histogram("statefun_batch_size", "Messages per request to a function.", kBatchBounds,
            &PerType::batch);
  histogram("statefun_function_latency_seconds",
            "Time from sending a request to a function to its response.", kLatencyBounds,
            &PerType::latency);

  header(out, "statefun_queue_depth", "gauge", "Messages queued or in flight per function type.");
  for (const auto& [type, depth] : status.queued_by_type) {
    out += fmt::format("statefun_queue_depth{{function_type=\"{}\"}} {}\n", label(type), depth);
  }
  auto gauge = [&](const char* name, const char* help, int64_t value) {
    header(out, name, "gauge", help);
    out += fmt::format("{} {}\n", name, value);
  };
  gauge("statefun_pending_messages", "Routable messages queued or in flight.", status.pending);
  gauge("statefun_in_flight_requests", "Requests on the wire or waiting for a retry.",
        status.in_flight);
  gauge("statefun_unroutable_messages", "Messages for function types no endpoint serves.",
        status.unroutable);
  gauge("statefun_timers", "Pending delayed messages.", status.timers);
  gauge("statefun_failing_addresses", "Addresses whose last attempt failed.", status.failing);
  gauge("statefun_last_step", "The last committed step id.", status.steps);
  return out;
}

}  // namespace statefun::emulator
