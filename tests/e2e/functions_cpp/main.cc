// HTTP server for the C++ end-to-end test functions (functions.h): the
// counterpart of ../functions/server.js, with the same GET /stats and fault
// injection, built on the SDK's Functions::handle().
//
//   GET /stats  JSON {requests, faults, log, maxInFlight, recorded}, exactly
//               as server.js documents it.
//   POST (any other path) goes to the SDK, except that the first FAULT_TIMES
//   requests get the FAULT instead:
//     FAULT=500      answer 500 with an empty body
//     FAULT=garbage  answer 200, application/octet-stream, bytes that are not
//                    a FromFunction
//     FAULT=close    break the connection before the body (httplib cannot
//                    drop it without any answer, as Node does)
//
// Environment: PORT (required), HOST (default 127.0.0.1), FAULT, FAULT_TIMES,
// SLOW_MS, TTL_MS.
#include <httplib.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>

#include "runtime/protocol/codec.h"
#include "tests/e2e/functions_cpp/functions.h"

namespace {

std::string env_or(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : std::move(fallback);
}

// What the emulator sent, in the shape of server.js's `log` entries.
nlohmann::json describe(const std::string& body) {
  auto request = statefun::codec::decode_request(body);
  if (!request) return {{"undecodable", request.error().message}};
  nlohmann::json states = nlohmann::json::object();
  for (const auto& state : request->states) states[state.name] = state.value.has_value();
  nlohmann::json callers = nlohmann::json::array();
  for (const auto& invocation : request->invocations) {
    callers.push_back(invocation.caller ? nlohmann::json(invocation.caller->str())
                                        : nlohmann::json(nullptr));
  }
  return {{"target", request->target.str()}, {"states", states}, {"callers", callers}};
}

class Stats {
 public:
  explicit Stats(int faults) : m_faults_left(faults) {}

  // Counts a request; true if it must get the fault instead of the SDK.
  bool count_request() {
    std::lock_guard lock(m_mutex);
    ++m_requests;
    if (m_faults_left == 0) return false;
    --m_faults_left;
    ++m_faults;
    return true;
  }

  void begin(const nlohmann::json& entry) {
    std::lock_guard lock(m_mutex);
    m_log.push_back(entry);
    const std::string target = entry.value("target", "?");
    int& now = ++m_in_flight[target];
    m_max_in_flight[target] = std::max(m_max_in_flight[target], now);
  }

  void end(const nlohmann::json& entry) {
    std::lock_guard lock(m_mutex);
    --m_in_flight[entry.value("target", "?")];
  }

  nlohmann::json to_json(const e2e::Recorder& recorder) const {
    std::lock_guard lock(m_mutex);
    return {{"requests", m_requests},
            {"faults", m_faults},
            {"log", m_log},
            {"maxInFlight", m_max_in_flight},
            {"recorded", recorder.to_json()}};
  }

 private:
  mutable std::mutex m_mutex;
  int m_faults_left;
  int m_requests = 0;
  int m_faults = 0;
  nlohmann::json m_log = nlohmann::json::array();
  std::map<std::string, int> m_in_flight;
  std::map<std::string, int> m_max_in_flight;
};

void misbehave(const std::string& fault, httplib::Response& response) {
  std::printf("fault injection: %s\n", fault.c_str());
  std::fflush(stdout);
  if (fault == "500") {
    response.status = 500;
    response.set_content("", "application/octet-stream");
  } else if (fault == "garbage") {
    // 0xff 0xff...: a field key with wire type 7, which no protobuf parser accepts.
    response.set_content(std::string("\xff\xff\xff\xff\x0f\x00\x13\x37", 8),
                         "application/octet-stream");
  } else {  // close: promise a body, then fail to provide it
    response.set_content_provider(
        64, "application/octet-stream",
        [](std::size_t, std::size_t, httplib::DataSink&) { return false; });
  }
}

}  // namespace

int main() {
  // The emulator may hang up mid-answer (the crash tests kill it); keep serving.
  std::signal(SIGPIPE, SIG_IGN);
  e2e::FunctionOptions options;
  options.slow = std::chrono::milliseconds(std::stoi(env_or("SLOW_MS", "20")));
  options.ttl = std::chrono::milliseconds(std::stoi(env_or("TTL_MS", "1500")));
  e2e::Recorder recorder;
  statefun::sdk::Functions functions;
  e2e::bind_all(functions, options, recorder);

  const std::string fault = env_or("FAULT", "");
  Stats stats(std::stoi(env_or("FAULT_TIMES", "0")));

  httplib::Server server;
  server.new_task_queue = [] { return new httplib::ThreadPool(64); };
  server.set_keep_alive_max_count(1'000'000);
  server.set_tcp_nodelay(true);
  server.Get("/stats", [&](const httplib::Request&, httplib::Response& response) {
    response.set_content(stats.to_json(recorder).dump(), "application/json");
  });
  server.Post(".*", [&](const httplib::Request& request, httplib::Response& response) {
    if (stats.count_request()) return misbehave(fault, response);
    const nlohmann::json entry = describe(request.body);
    stats.begin(entry);
    auto result = functions.handle(request.body);
    stats.end(entry);
    if (result.status != 200)
      std::fprintf(stderr, "answered %d: %s\n", result.status, result.body.c_str());
    response.status = result.status;
    response.set_content(std::move(result.body), result.content_type.c_str());
  });

  const std::string host = env_or("HOST", "127.0.0.1");
  const int port = std::stoi(env_or("PORT", "0"));
  if (!server.bind_to_port(host, port)) {
    std::fprintf(stderr, "cannot listen on %s:%d\n", host.c_str(), port);
    return 1;
  }
  std::printf("e2e functions (C++ SDK) listening on %s:%d\n", host.c_str(), port);
  std::fflush(stdout);
  return server.listen_after_bind() ? 0 : 1;
}
