// Both function clients calling http+unix:// URLs (StateFun's Unix socket
// endpoints) on our event-loop HttpServer listening with start_unix: the
// socket file comes from the URL's path, the rest of it is the request
// target, and a missing socket or https+unix is a one-line failure.
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "runtime/client/function_client.h"
#include "runtime/net/event_loop.h"
#include "runtime/net/http_server.h"

namespace {

using namespace std::chrono_literals;
using statefun::CallErrorKind;
using statefun::CallOptions;
using statefun::CallOutcome;
using statefun::FunctionClient;
using statefun::net::EventLoop;
using statefun::net::HttpServer;

constexpr auto kWaitLimit = 30s;

enum class Transport { kWorkers, kLoop };

// A server on a socket file and a client, sharing one loop thread.
class UnixRig {
 public:
  explicit UnixRig(Transport transport)
      : socket_((std::filesystem::temp_directory_path() /
                 ("statefun-unix-" + std::to_string(::getpid()) + ".sock"))
                    .string()),
        server_(loop_, HttpServer::Options{.label = "test functions"},
                [this](statefun::net::HttpMessage& request, HttpServer::Responder respond) {
                  target_ = request.target;
                  const std::string* host = request.header("Host");
                  host_ = host ? *host : "";
                  respond({.status = 200,
                           .content_type = "application/octet-stream",
                           .body = "got " + request.body});
                }) {
    REQUIRE(server_.start_unix(socket_).has_value());
    client_ = transport == Transport::kWorkers ? statefun::make_http_function_client({.workers = 2})
                                               : statefun::make_loop_function_client(loop_, {});
    thread_ = std::thread([this] {
      while (!stop_) {
        loop_.wait(10ms);
        loop_.dispatch();
      }
    });
  }

  ~UnixRig() {
    stop_ = true;
    loop_.wake();
    thread_.join();
    client_.reset();  // no thread drives the loop any more
    server_.stop();
    std::error_code ignored;
    std::filesystem::remove(socket_, ignored);
  }

  CallOutcome call(const std::string& url) {
    auto promise = std::make_shared<std::promise<CallOutcome>>();
    auto result = promise->get_future();
    client_->call(url, "hello", CallOptions{},
                  [promise](CallOutcome outcome) { promise->set_value(std::move(outcome)); });
    REQUIRE(result.wait_for(kWaitLimit) == std::future_status::ready);
    CallOutcome outcome = result.get();
    UNSCOPED_INFO("call to " << url << ": "
                             << (outcome.ok ? "ok" : "failed: " + outcome.error.message));
    return outcome;
  }

  const std::string& socket() const { return socket_; }
  // Written on the loop thread before the response, read after it arrived.
  std::string target() const { return target_; }
  std::string host() const { return host_; }

 private:
  std::string socket_;
  EventLoop loop_;
  HttpServer server_;
  std::unique_ptr<FunctionClient> client_;
  std::string target_, host_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

TEST_CASE("unix socket client: http+unix URLs reach the socket file", "[runtime][unix]") {
  const auto transport = GENERATE(Transport::kWorkers, Transport::kLoop);
  UnixRig rig(transport);
  CallOutcome outcome = rig.call("http+unix://" + rig.socket() + "/statefun/greeter");
  REQUIRE(outcome.ok);
  CHECK(outcome.body == "got hello");
  CHECK(rig.target() == "/statefun/greeter");
  CHECK(rig.host() == "localhost");
  // Again, on the kept-alive connection, and with nothing after the socket file.
  CHECK(rig.call("http+unix://" + rig.socket()).ok);
  CHECK(rig.target() == "/");
}

TEST_CASE("unix socket client: a missing socket and https+unix fail in one line",
          "[runtime][unix]") {
  const auto transport = GENERATE(Transport::kWorkers, Transport::kLoop);
  UnixRig rig(transport);
  CallOutcome missing = rig.call("http+unix:///nonexistent/statefun-none.sock/statefun");
  REQUIRE_FALSE(missing.ok);
  CHECK(missing.error.kind == CallErrorKind::kConnect);
  CHECK(missing.error.message ==
        "could not connect to Unix socket /nonexistent/statefun-none.sock (no such file, or "
        "nothing listens on it)");
  CallOutcome tls = rig.call("https+unix://" + rig.socket() + "/statefun");
  REQUIRE_FALSE(tls.ok);
  CHECK(tls.error.kind == CallErrorKind::kBadUrl);
  CHECK_THAT(tls.error.message, Catch::Contains("cannot call https+unix URLs"));
}
