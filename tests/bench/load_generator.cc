// statefun-load: drives a running `statefun dev` through its playground
// ingress and reports throughput and latency as one JSON object on stdout.
//
//   statefun-load --ingress 127.0.0.1:8090 --target bench/counter --keys 1000
//                 --messages 100000 --concurrency 64 [--rate 5000]
//                 [--egress 127.0.0.1:8091 --topic out] [--admin 127.0.0.1:8092]
//                 [--readable-via admin|pop] [--timeout 300]
//                 [--method POST --path '/Counter/{key}/add' --content-type application/json]
//
// Closed loop by default (each of --concurrency connections sends its next
// message when the previous one is acknowledged). With --rate, messages are
// scheduled at a fixed offered rate and latency is measured from the
// scheduled time, so a slow server cannot hide queueing (no coordinated
// omission): a message whose time has come waits for a free connection. With
// --egress, every message body is its sequence number and the generator
// watches the topic until each one came back: e2e_ms is the latency from
// sending the ingress request (its scheduled time with --rate) to a readable
// egress record, so it includes the commit that accepts the message; a
// record often turns readable in the same instant its acknowledgement
// arrives, which a latency from the acknowledgement would show as zero
// (e2e_from_ack_ms). Records are read through the admin API's long poll by
// default, or popped from the playground egress with --readable-via pop.
// With --admin it waits until the emulator is idle and reports processing
// throughput (sent -> all applied).
//
// Everything runs on one thread around one event loop with non-blocking
// sockets (load_net.h): the generator shares the CPU with the emulator and
// the functions it measures, so it must cost a few microseconds per message,
// not a thread switch per message.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emulator/config/default_ports.h"
#include "runtime/net/event_loop.h"
#include "runtime/net/http_message.h"
#include "tests/bench/load_net.h"

namespace statefun::bench {
namespace {

using std::chrono::microseconds;

// As long as the httplib client this generator used before waited for an
// ingress response.
constexpr std::chrono::seconds kRequestTimeout{60};
constexpr int kPopConnections = 4;
// Between polls that found nothing; short, because it bounds the latency resolution.
constexpr microseconds kEmptyPollDelay{200};
constexpr microseconds kStatusPollDelay{2000};

struct Options {
  std::string ingress = "127.0.0.1:" + std::to_string(emulator::kDefaultIngressPort);
  std::string target = "bench/counter";
  std::string content_type = "application/vnd.bench/raw";
  std::string path;  // request path; {key} becomes the key (default /<target>/{key})
  std::string method = "PUT";
  // How egress records are seen: "admin" reads the topic from an offset
  // through the admin API (needs --admin); "pop" pops the playground egress.
  std::string readable_via = "admin";
  std::string egress, topic = "out", admin;
  int keys = 1000;
  long messages = 10000;
  int concurrency = 64;
  double rate = 0;  // messages per second; 0 = closed loop
  double timeout_s = 300;
};

[[noreturn]] void usage_error(const std::string& why) {
  std::fprintf(stderr, "statefun-load: %s\n", why.c_str());
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  using Setter = std::function<void(const std::string&)>;
  const std::map<std::string, Setter> flags = {
      {"--ingress", [&](const std::string& v) { o.ingress = v; }},
      {"--target", [&](const std::string& v) { o.target = v; }},
      {"--content-type", [&](const std::string& v) { o.content_type = v; }},
      {"--path", [&](const std::string& v) { o.path = v; }},
      {"--method", [&](const std::string& v) { o.method = v; }},
      {"--readable-via", [&](const std::string& v) { o.readable_via = v; }},
      {"--egress", [&](const std::string& v) { o.egress = v; }},
      {"--topic", [&](const std::string& v) { o.topic = v; }},
      {"--admin", [&](const std::string& v) { o.admin = v; }},
      {"--keys", [&](const std::string& v) { o.keys = std::stoi(v); }},
      {"--messages", [&](const std::string& v) { o.messages = std::stol(v); }},
      {"--concurrency", [&](const std::string& v) { o.concurrency = std::stoi(v); }},
      {"--rate", [&](const std::string& v) { o.rate = std::stod(v); }},
      {"--timeout", [&](const std::string& v) { o.timeout_s = std::stod(v); }},
  };
  for (int i = 1; i < argc; ++i) {
    auto flag = flags.find(argv[i]);
    if (flag == flags.end() || i + 1 >= argc) {
      usage_error(std::string("unknown flag or missing value: ") + argv[i]);
    }
    flag->second(argv[++i]);
  }
  if (o.path.empty()) o.path = "/" + o.target + "/{key}";
  if (o.keys < 1 || o.concurrency < 1 || o.messages < 0) {
    usage_error("--keys and --concurrency must be at least 1, --messages not negative");
  }
  if (o.readable_via != "admin" && o.readable_via != "pop") {
    usage_error("--readable-via is admin or pop");
  }
  if (!o.egress.empty() && o.readable_via == "admin" && o.admin.empty()) {
    usage_error("--egress reads records through the admin API: add --admin or --readable-via pop");
  }
  return o;
}

Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const std::size_t index =
      std::min(sorted.size() - 1, static_cast<std::size_t>(p / 100.0 * sorted.size()));
  return sorted[index];
}

// The status a playground ingress or egress meant: the real engine's
// playground image always answers HTTP 200 and puts the intended code in a
// `Status:` header (empty topic: `Status: 404`); statefun dev answers the real
// code. 0 without a response.
int playground_status(const net::HttpMessage* response) {
  if (!response) return 0;
  if (const std::string* status = response->header("Status")) {
    int code = 0;
    const auto [end, error] =
        std::from_chars(status->data(), status->data() + status->size(), code);
    if (error == std::errc() && code >= 100) return code;
  }
  return response->status;
}

// A message's sequence number from an egress payload; -1 for anything else.
long sequence_of(std::string_view payload) {
  long n = -1;
  const auto [end, error] = std::from_chars(payload.data(), payload.data() + payload.size(), n);
  return error == std::errc() && end == payload.data() + payload.size() ? n : -1;
}

// What the run observed. Only the loop thread touches it.
struct Tally {
  Tally(long messages, Clock::time_point started)
      : start(started), sent_ns(messages), acked_ns(messages), readable_ns(messages) {
    ack_ms.reserve(messages);
  }

  // Nanoseconds after `start`, never 0 (which means "not yet" below).
  std::int64_t ns_since_start(Clock::time_point t) const {
    return std::max<std::int64_t>(
        1, std::chrono::duration_cast<std::chrono::nanoseconds>(t - start).count());
  }
  void saw_readable(long n) {
    if (n < 0 || n >= static_cast<long>(readable_ns.size()) || readable_ns[n]) return;
    readable_ns[n] = ns_since_start(Clock::now());
    ++readable;
  }

  Clock::time_point start;  // reset when sending starts
  long ok = 0, errors = 0;
  long readable = 0;  // messages whose egress record was seen
  // Per message, nanoseconds after `start` (0 = not yet): when it was sent
  // (or scheduled), when the ingress acknowledged it, and when its egress
  // record was seen readable.
  std::vector<std::int64_t> sent_ns, acked_ns, readable_ns;
  std::vector<double> ack_ms;  // acknowledged messages only
};

// Offers the messages to the ingress over --concurrency keep-alive
// connections, one request per connection at a time.
class Sender {
 public:
  Sender(net::EventLoop& loop, const Options& o, Tally& tally);
  void start();
  bool done() const { return m_tally.ok + m_tally.errors >= m_options.messages; }

 private:
  struct Slot {
    std::unique_ptr<Connection> connection;
    long message = -1;
    Clock::time_point due;  // latency counts from here
  };

  Clock::time_point scheduled(long n) const;
  void release_due();
  void pump();
  void send(Slot& slot, long n);
  void on_response(Slot& slot, net::HttpMessage* response);

  const Options& m_options;
  Tally& m_tally;
  std::string m_path_head, m_path_tail;  // around "{key}"
  bool m_path_has_key = false;
  std::vector<Slot> m_slots;
  // Free connections, longest idle first: with --rate they take turns, so
  // none sits idle long enough for the server to close it.
  std::deque<Slot*> m_free;
  long m_next = 0;                // the first message not sent yet
  long m_ready_end = 0;           // messages before this one may be sent now
  PreciseTimer m_pacer;           // --rate: when the next message is due
  std::string m_path, m_request;  // reused: no allocation per message
};

Sender::Sender(net::EventLoop& loop, const Options& o, Tally& tally)
    : m_options(o),
      m_tally(tally),
      m_slots(static_cast<std::size_t>(o.concurrency)),
      m_pacer(loop, [this] { release_due(); }) {
  const auto at = o.path.find("{key}");
  m_path_has_key = at != std::string::npos;
  m_path_head = o.path.substr(0, at);
  if (m_path_has_key) m_path_tail = o.path.substr(at + 5);
  const detail::SocketAddress address = resolve_or_exit(o.ingress);
  for (Slot& slot : m_slots) {
    slot.connection = std::make_unique<Connection>(
        loop, address, kRequestTimeout,
        [this, &slot](net::HttpMessage* response) { on_response(slot, response); });
    m_free.push_back(&slot);
  }
}

void Sender::start() {
  if (m_options.rate > 0) {
    m_pacer.arm_at(scheduled(0));
  } else {
    m_ready_end = m_options.messages;
    pump();
  }
}

Clock::time_point Sender::scheduled(long n) const {
  return m_tally.start + std::chrono::nanoseconds(static_cast<long>(n * 1e9 / m_options.rate));
}

// The pacer fired: every message whose time has come queues for a connection.
void Sender::release_due() {
  const auto now = Clock::now();
  while (m_ready_end < m_options.messages && scheduled(m_ready_end) <= now) ++m_ready_end;
  pump();
  if (m_ready_end < m_options.messages) m_pacer.arm_at(scheduled(m_ready_end));
}

void Sender::pump() {
  while (!m_free.empty() && m_next < m_ready_end) {
    Slot& slot = *m_free.front();
    m_free.pop_front();
    send(slot, m_next++);
  }
  // Nothing left to send: idle connections close at once, as the
  // per-thread clients of the old generator did when their thread ended. A
  // server with a thread per keep-alive connection (httplib) may have left
  // one of ours waiting for a thread, which it only gets when another
  // connection closes.
  if (m_next >= m_options.messages) {
    for (Slot* idle : m_free) idle->connection->disconnect();
  }
}

void Sender::send(Slot& slot, long n) {
  slot.message = n;
  slot.due = m_options.rate > 0 ? scheduled(n) : Clock::now();
  m_tally.sent_ns[n] = m_tally.ns_since_start(slot.due);
  char key[24], body[24];
  const auto key_end = std::to_chars(key, key + sizeof(key), n % m_options.keys).ptr;
  const auto body_end = std::to_chars(body, body + sizeof(body), n).ptr;
  m_path.assign(m_path_head);
  if (m_path_has_key) m_path.append("k").append(key, key_end).append(m_path_tail);
  m_request.clear();
  append_request(m_request, m_options.method, m_path, m_options.ingress, m_options.content_type,
                 std::string_view(body, body_end - body));
  slot.connection->send(m_request);
}

void Sender::on_response(Slot& slot, net::HttpMessage* response) {
  const auto done = Clock::now();
  if (playground_status(response) == 200) {
    ++m_tally.ok;
    m_tally.acked_ns[slot.message] = m_tally.ns_since_start(done);
    m_tally.ack_ms.push_back(std::chrono::duration<double, std::milli>(done - slot.due).count());
  } else {
    ++m_tally.errors;
  }
  m_free.push_back(&slot);
  pump();
}

// Marks messages readable as their egress records appear, by popping the
// playground egress or by reading the topic through the admin API.
class EgressWatch {
 public:
  EgressWatch(net::EventLoop& loop, const Options& o, Tally& tally);
  void stop() {
    for (auto& poller : m_pollers) poller->stop();
  }
  // Records already on the topic (earlier runs against the same emulator)
  // are skipped, not counted: sending starts once this is true.
  bool caught_up() const { return m_pollers_caught_up == m_pollers.size(); }

 private:
  std::optional<microseconds> on_pop(Poller* poller, net::HttpMessage* response);
  std::string admin_target() const;
  std::optional<microseconds> on_admin_read(net::HttpMessage* response);

  const Options& m_options;
  Tally& m_tally;
  std::vector<std::unique_ptr<Poller>> m_pollers;
  std::int64_t m_from = 0;                   // admin reads: the topic offset to read from next
  std::vector<const Poller*> m_found_empty;  // pollers that saw the topic empty once
  std::size_t m_pollers_caught_up = 0;
};

EgressWatch::EgressWatch(net::EventLoop& loop, const Options& o, Tally& tally)
    : m_options(o), m_tally(tally) {
  if (o.egress.empty()) return;
  if (o.readable_via == "pop") {
    // A pop answers one record: several connections keep up with the ingress.
    for (int i = 0; i < kPopConnections; ++i) {
      auto poller = std::make_unique<Poller>(
          loop, o.egress, [path = "/" + o.topic] { return path; }, nullptr);
      poller->set_on_reply(
          [this, p = poller.get()](net::HttpMessage* response) { return on_pop(p, response); });
      m_pollers.push_back(std::move(poller));
    }
  } else {
    m_pollers.push_back(std::make_unique<Poller>(
        loop, o.admin, [this] { return admin_target(); },
        [this](net::HttpMessage* response) { return on_admin_read(response); }));
  }
  for (auto& poller : m_pollers) poller->start();
}

std::optional<microseconds> EgressWatch::on_pop(Poller* poller, net::HttpMessage* response) {
  const bool seen_empty_before = std::ranges::find(m_found_empty, poller) != m_found_empty.end();
  const int status = playground_status(response);
  if (status != 200) {
    if (status == 404 && !seen_empty_before) {
      m_found_empty.push_back(poller);
      ++m_pollers_caught_up;
    }
    return kEmptyPollDelay;
  }
  if (seen_empty_before) m_tally.saw_readable(sequence_of(response->body));
  return microseconds(0);
}

// Reading from an offset consumes nothing: "readable" without the cost of
// one durable pop per record. wait_ms makes it a long poll: the admin API
// answers as soon as a commit brings a record (or after the wait).
std::string EgressWatch::admin_target() const {
  const char* wait = caught_up() ? "&wait_ms=1000" : "";
  return "/v1/egress/" + m_options.topic + "?limit=5000" + wait + "&from=" + std::to_string(m_from);
}

std::optional<microseconds> EgressWatch::on_admin_read(net::HttpMessage* response) {
  const auto body = response && response->status == 200
                        ? nlohmann::json::parse(response->body, nullptr, false)
                        : nlohmann::json();
  if (!body.is_object()) return kEmptyPollDelay;
  const auto records = body.value("records", nlohmann::json::array());
  if (!caught_up()) {
    if (records.empty()) m_pollers_caught_up = 1;  // the one admin poller
  } else {
    for (const auto& record : records) {
      if (record.is_object()) m_tally.saw_readable(sequence_of(record.value("payload", "")));
    }
  }
  if (body.contains("next") && body["next"].is_number_integer()) {
    m_from = body["next"].get<std::int64_t>();
  }
  return microseconds(0);  // a long poll: the server waited for a commit already
}

// Drives the loop until `finished()`, which is checked at least every 10 ms.
template <typename Predicate>
void run_until(net::EventLoop& loop, Predicate finished) {
  while (!finished()) {
    loop.wait(std::chrono::milliseconds(10));
    loop.dispatch();
  }
}

// Polls the admin API until the emulator reports idle, i.e. every message
// sent was applied; false when --timeout passed first.
bool wait_idle(net::EventLoop& loop, const Options& o) {
  const auto deadline = Clock::now() + seconds(o.timeout_s);
  bool idle = false;
  Poller status(
      loop, o.admin, [] { return std::string("/v1/status"); },
      [&idle](net::HttpMessage* response) -> std::optional<microseconds> {
        if (response && response->status == 200) {
          const auto json = nlohmann::json::parse(response->body, nullptr, false);
          idle = json.is_object() && json.value("idle", false);
        }
        if (idle) return std::nullopt;
        return kStatusPollDelay;
      });
  status.start();
  run_until(loop, [&] { return idle || Clock::now() >= deadline; });
  return idle;
}

nlohmann::json latency_json(const std::vector<double>& sorted) {
  return {{"p50", percentile(sorted, 50)},
          {"p99", percentile(sorted, 99)},
          {"p999", percentile(sorted, 99.9)}};
}

// From `from` (sent or acknowledged) to readable, for acknowledged messages;
// a record seen before the acknowledgement counts as zero.
std::vector<double> sorted_e2e_ms(const Tally& tally, const std::vector<std::int64_t>& from) {
  std::vector<double> e2e;
  for (std::size_t n = 0; n < tally.acked_ns.size(); ++n) {
    const std::int64_t start = from[n], readable = tally.readable_ns[n];
    if (tally.acked_ns[n] && readable) {
      e2e.push_back(std::max<std::int64_t>(0, readable - start) / 1e6);
    }
  }
  std::sort(e2e.begin(), e2e.end());
  return e2e;
}

nlohmann::json report(const Options& o, Tally& tally, Clock::time_point sent,
                      Clock::time_point applied, bool idle) {
  std::sort(tally.ack_ms.begin(), tally.ack_ms.end());
  const double send_s = std::chrono::duration<double>(sent - tally.start).count();
  const double total_s = std::chrono::duration<double>(applied - tally.start).count();
  nlohmann::json out;
  out["messages"] = o.messages;
  out["acknowledged"] = tally.ok;
  out["errors"] = tally.errors;
  out["concurrency"] = o.concurrency;
  out["offered_rate"] = o.rate;
  out["send_seconds"] = send_s;
  out["accept_per_second"] = tally.ok / send_s;
  out["ack_ms"] = latency_json(tally.ack_ms);
  if (!o.admin.empty()) {
    out["idle_reached"] = idle;
    out["processed_seconds"] = total_s;
    out["processed_per_second"] = tally.ok / total_s;
  }
  if (!o.egress.empty()) {
    const auto e2e = sorted_e2e_ms(tally, tally.sent_ns);
    out["egress_received"] = e2e.size();
    // Sending started -> the last record seen: processing throughput checked
    // through egress (for an engine without the admin API's idle status).
    if (tally.readable > 0) {
      const double readable_s =
          *std::max_element(tally.readable_ns.begin(), tally.readable_ns.end()) / 1e9;
      out["all_readable_seconds"] = readable_s;
      out["readable_per_second"] = static_cast<double>(tally.readable) / readable_s;
    }
    out["e2e_ms"] = latency_json(e2e);
    out["e2e_from_ack_ms"] = latency_json(sorted_e2e_ms(tally, tally.acked_ns));
  }
  return out;
}

int run(const Options& o) {
  net::EventLoop loop;
  Tally tally(o.messages, Clock::now());
  EgressWatch egress(loop, o, tally);
  run_until(loop, [&] { return egress.caught_up(); });
  tally.start = Clock::now();
  Sender sender(loop, o, tally);
  sender.start();
  run_until(loop, [&] { return sender.done(); });
  const auto sent = Clock::now();

  const bool idle = o.admin.empty() || wait_idle(loop, o);
  const auto applied = Clock::now();
  if (!o.egress.empty()) {
    const auto deadline = Clock::now() + seconds(o.timeout_s);
    run_until(loop, [&] { return tally.readable >= tally.ok || Clock::now() >= deadline; });
    egress.stop();
  }
  std::printf("%s\n", report(o, tally, sent, applied, idle).dump().c_str());
  return tally.errors == 0 && idle ? 0 : 1;
}

}  // namespace
}  // namespace statefun::bench

int main(int argc, char** argv) { return statefun::bench::run(statefun::bench::parse(argc, argv)); }
