// statefun-load: drives a running `statefun dev` through its playground
// ingress and reports throughput and latency as one JSON object on stdout.
//
//   statefun-load --ingress 127.0.0.1:8090 --target bench/counter --keys 1000 \
//                 --messages 100000 --concurrency 64 [--rate 5000] \
//                 [--egress 127.0.0.1:8091 --topic out] [--admin 127.0.0.1:8092]
//                 [--method POST --path '/Counter/{key}/add' --content-type application/json]
//
// Closed loop by default (each of --concurrency connections sends its next
// message when the previous one is acknowledged). With --rate, messages are
// scheduled at a fixed offered rate and latency is measured from the
// scheduled time, so a slow server cannot hide queueing (no coordinated
// omission). With --egress, every message body is its sequence number and
// the generator watches the topic until each one came back: latency from
// ingress acceptance to a readable egress record (read through the admin API
// by default, or popped from the playground egress with --readable-via pop). With --admin it waits
// until the emulator is idle and reports processing throughput (sent -> all applied).
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string ingress = "127.0.0.1:8090";
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

std::pair<std::string, int> split_host_port(const std::string& text) {
  const auto colon = text.rfind(':');
  return {text.substr(0, colon), std::stoi(text.substr(colon + 1))};
}

double percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const std::size_t index =
      std::min(sorted.size() - 1, static_cast<std::size_t>(p / 100.0 * sorted.size()));
  return sorted[index];
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
      std::fprintf(stderr, "statefun-load: unknown flag or missing value: %s\n", argv[i]);
      std::exit(2);
    }
    flag->second(argv[++i]);
  }
  if (o.path.empty()) o.path = "/" + o.target + "/{key}";
  return o;
}

std::string path_for(const Options& o, long key) {
  std::string path = o.path;
  const auto at = path.find("{key}");
  if (at != std::string::npos) path.replace(at, 5, "k" + std::to_string(key));
  return path;
}

struct Shared {
  explicit Shared(long messages)
      : acked_ns(new std::atomic<int64_t>[messages]()),
        readable_ns(new std::atomic<int64_t>[messages]()) {}
  std::atomic<long> next{0};
  std::atomic<long> ok{0}, errors{0};
  Clock::time_point start;
  // Per message, nanoseconds after `start` (0 = not yet): when the ingress
  // acknowledged it, and when its egress record was seen readable.
  std::unique_ptr<std::atomic<int64_t>[]> acked_ns, readable_ns;
  std::atomic<long> received{0};
  std::mutex latency_mutex;
  std::vector<double> ack_ms;

  int64_t now_ns() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
  }
  void saw_readable(long n, long messages) {
    if (n < 0 || n >= messages) return;
    int64_t unset = 0;
    if (readable_ns[n].compare_exchange_strong(unset, now_ns())) ++received;
  }
};

void send_loop(const Options& o, Shared& s, Clock::time_point start) {
  auto [host, port] = split_host_port(o.ingress);
  httplib::Client client(host, port);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  client.set_read_timeout(std::chrono::seconds(60));
  std::vector<double> local;
  const httplib::Headers headers;
  for (;;) {
    const long n = s.next.fetch_add(1);
    if (n >= o.messages) break;
    Clock::time_point due = Clock::now();
    if (o.rate > 0) {
      due = start + std::chrono::nanoseconds(static_cast<long>(n * 1e9 / o.rate));
      std::this_thread::sleep_until(due);
    }
    const std::string path = path_for(o, n % o.keys);
    auto res = o.method == "POST" ? client.Post(path, headers, std::to_string(n), o.content_type)
                                  : client.Put(path, headers, std::to_string(n), o.content_type);
    const auto done = Clock::now();
    if (res && res->status == 200) {
      ++s.ok;
      s.acked_ns[n] = std::max<int64_t>(1, s.now_ns());
      local.push_back(std::chrono::duration<double, std::milli>(done - due).count());
    } else {
      ++s.errors;
    }
  }
  std::lock_guard lock(s.latency_mutex);
  s.ack_ms.insert(s.ack_ms.end(), local.begin(), local.end());
}

void egress_loop(const Options& o, Shared& s, std::atomic<bool>& stop) {
  auto [host, port] = split_host_port(o.egress);
  httplib::Client client(host, port);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  const std::string path = "/" + o.topic;
  while (!stop) {
    auto res = client.Get(path);
    if (!res || res->status != 200) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    s.saw_readable(std::strtol(res->body.c_str(), nullptr, 10), o.messages);
  }
}

// Reads the topic through the admin API from an offset, consuming nothing:
// "readable" without the cost of one durable pop per record.
void admin_read_loop(const Options& o, Shared& s, std::atomic<bool>& stop) {
  auto [host, port] = split_host_port(o.admin);
  httplib::Client client(host, port);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  int64_t from = 0;
  while (!stop) {
    auto res = client.Get("/v1/egress/" + o.topic + "?limit=5000&from=" + std::to_string(from));
    auto body = res && res->status == 200 ? nlohmann::json::parse(res->body, nullptr, false)
                                          : nlohmann::json();
    const auto records =
        body.is_object() ? body.value("records", nlohmann::json::array()) : nlohmann::json::array();
    for (const auto& record : records) {
      const auto payload = record.value("payload", std::string());
      s.saw_readable(std::strtol(payload.c_str(), nullptr, 10), o.messages);
    }
    if (body.is_object() && body.contains("next")) from = body["next"].get<int64_t>();
    if (records.empty()) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

bool wait_idle(const Options& o, double timeout_s) {
  auto [host, port] = split_host_port(o.admin);
  httplib::Client client(host, port);
  const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
  while (Clock::now() < deadline) {
    auto res = client.Get("/v1/status");
    if (res && res->status == 200) {
      auto status = nlohmann::json::parse(res->body, nullptr, false);
      if (!status.is_discarded() && status.value("idle", false)) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  Shared s(o.messages);
  s.start = Clock::now();
  const auto start = s.start;

  std::atomic<bool> stop_egress{false};
  std::vector<std::thread> pollers;
  if (!o.egress.empty() && o.readable_via == "pop") {
    for (int i = 0; i < 4; ++i)
      pollers.emplace_back(egress_loop, std::cref(o), std::ref(s), std::ref(stop_egress));
  } else if (!o.egress.empty()) {
    pollers.emplace_back(admin_read_loop, std::cref(o), std::ref(s), std::ref(stop_egress));
  }
  std::vector<std::thread> senders;
  for (int i = 0; i < o.concurrency; ++i)
    senders.emplace_back(send_loop, std::cref(o), std::ref(s), start);
  for (auto& t : senders) t.join();
  const auto sent = Clock::now();

  bool idle = true;
  if (!o.admin.empty()) idle = wait_idle(o, o.timeout_s);
  const auto applied = Clock::now();
  if (!o.egress.empty()) {
    const auto deadline = Clock::now() + std::chrono::duration<double>(o.timeout_s);
    while (s.received < s.ok && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    stop_egress = true;
    for (auto& t : pollers) t.join();
  }

  std::sort(s.ack_ms.begin(), s.ack_ms.end());
  nlohmann::json out;
  const double send_s = std::chrono::duration<double>(sent - start).count();
  const double total_s = std::chrono::duration<double>(applied - start).count();
  out["messages"] = o.messages;
  out["acknowledged"] = s.ok.load();
  out["errors"] = s.errors.load();
  out["concurrency"] = o.concurrency;
  out["offered_rate"] = o.rate;
  out["send_seconds"] = send_s;
  out["accept_per_second"] = s.ok / send_s;
  out["ack_ms"] = {{"p50", percentile(s.ack_ms, 50)},
                   {"p99", percentile(s.ack_ms, 99)},
                   {"p999", percentile(s.ack_ms, 99.9)}};
  if (!o.admin.empty()) {
    out["idle_reached"] = idle;
    out["processed_seconds"] = total_s;
    out["processed_per_second"] = s.ok / total_s;
  }
  if (!o.egress.empty()) {
    // From ingress acceptance to readable; a record can be readable before
    // its acknowledgement reached us, which counts as zero.
    std::vector<double> e2e;
    for (long n = 0; n < o.messages; ++n) {
      const int64_t acked = s.acked_ns[n], readable = s.readable_ns[n];
      if (acked && readable) e2e.push_back(std::max<int64_t>(0, readable - acked) / 1e6);
    }
    std::sort(e2e.begin(), e2e.end());
    out["egress_received"] = e2e.size();
    out["e2e_ms"] = {{"p50", percentile(e2e, 50)},
                     {"p99", percentile(e2e, 99)},
                     {"p999", percentile(e2e, 99.9)}};
  }
  std::printf("%s\n", out.dump().c_str());
  return s.errors == 0 && idle ? 0 : 1;
}
