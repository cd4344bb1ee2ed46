// The function clients against a local httplib::SSLServer with certificates
// made by the test (test_tls_certs.h): CallOptions::tls applied (CA, client
// certificate and encrypted key, skipping verification), the one-line
// reasons of certificate problems, and tls_files.h's checks of the files.
#include <httplib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "runtime/client/function_client.h"
#include "runtime/client/tls_files.h"
#include "runtime/net/event_loop.h"
#include "tests/test_tls_certs.h"

namespace {

using namespace std::chrono_literals;
using statefun::CallErrorKind;
using statefun::CallOptions;
using statefun::CallOutcome;
using statefun::FunctionClient;
using statefun::TlsOptions;
using statefun::test::TlsCerts;

constexpr auto kWaitLimit = 30s;

// An https server on a random loopback port answering every POST with "ok".
class TlsServer {
 public:
  // `client_ca`: demand a client certificate signed by it.
  TlsServer(const std::string& cert, const std::string& key, const std::string& client_ca = "")
      : server_(cert.c_str(), key.c_str(), client_ca.empty() ? nullptr : client_ca.c_str()) {
    REQUIRE(server_.is_valid());
    server_.Post("/statefun", [](const httplib::Request&, httplib::Response& response) {
      response.set_content("ok", "application/octet-stream");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    listener_ = std::thread([this] { server_.listen_after_bind(); });
    const auto deadline = std::chrono::steady_clock::now() + kWaitLimit;
    while (!server_.is_running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(1ms);
    }
    REQUIRE(server_.is_running());
  }

  ~TlsServer() {
    server_.stop();
    listener_.join();
  }

  std::string url(const std::string& host = "127.0.0.1") const {
    return "https://" + host + ":" + std::to_string(port_) + "/statefun";
  }
  std::string host_port() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::SSLServer server_;
  std::thread listener_;
  int port_ = 0;
};

// The loop client hands https calls to a worker client, so both are covered.
enum class Transport { kWorkers, kLoop };

class ClientRig {
 public:
  explicit ClientRig(Transport transport) {
    if (transport == Transport::kWorkers) {
      client_ = statefun::make_http_function_client({.workers = 2});
      return;
    }
    client_ = statefun::make_loop_function_client(loop_, {});
    thread_ = std::thread([this] {
      while (!stop_) {
        loop_.wait(10ms);
        loop_.dispatch();
      }
    });
  }

  ~ClientRig() {
    if (thread_.joinable()) {
      stop_ = true;
      loop_.wake();
      thread_.join();
    }
    client_.reset();  // no thread drives the loop any more
  }

  CallOutcome call(const std::string& url, const TlsOptions& tls) {
    CallOptions options;
    options.tls = tls;
    options.connect_timeout = 10s;
    options.attempt_timeout = 20s;
    auto promise = std::make_shared<std::promise<CallOutcome>>();
    auto result = promise->get_future();
    client_->call(url, "request", options,
                  [promise](CallOutcome outcome) { promise->set_value(std::move(outcome)); });
    REQUIRE(result.wait_for(kWaitLimit) == std::future_status::ready);
    CallOutcome outcome = result.get();
    UNSCOPED_INFO("call to " << url << ": "
                             << (outcome.ok ? "ok" : "failed: " + outcome.error.message));
    return outcome;
  }

 private:
  statefun::net::EventLoop loop_;
  std::unique_ptr<FunctionClient> client_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TlsOptions trusting(const TlsCerts& certs) { return TlsOptions{.ca_file = certs.ca()}; }

TlsOptions with_client_identity(const TlsCerts& certs) {
  TlsOptions tls = trusting(certs);
  tls.client_cert_file = certs.path("client.pem");
  tls.client_key_file = certs.path("client.key");
  return tls;
}

}  // namespace

TEST_CASE("tls client: a server certificate signed by tls.ca is trusted", "[runtime][tls]") {
  const auto& certs = TlsCerts::get();
  TlsServer server(certs.path("server.pem"), certs.path("server.key"));
  const auto transport = GENERATE(Transport::kWorkers, Transport::kLoop);
  ClientRig rig(transport);
  CallOutcome outcome = rig.call(server.url(), trusting(certs));
  REQUIRE(outcome.ok);
  CHECK(outcome.body == "ok");
  CHECK(rig.call(server.url("localhost"), trusting(certs)).ok);
}

TEST_CASE("tls client: an untrusted certificate names the server, OpenSSL's reason and the fix",
          "[runtime][tls]") {
  const auto& certs = TlsCerts::get();
  const auto transport = GENERATE(Transport::kWorkers, Transport::kLoop);
  ClientRig rig(transport);
  SECTION("signed by a CA the client does not trust") {
    TlsServer server(certs.path("server.pem"), certs.path("server.key"));
    CallOutcome outcome = rig.call(server.url(), TlsOptions{});
    REQUIRE_FALSE(outcome.ok);
    CHECK(outcome.error.kind == CallErrorKind::kConnect);
    CHECK(outcome.error.message == "TLS: the certificate of " + server.host_port() +
                                       " failed verification: unable to get local issuer "
                                       "certificate; trust its CA with tls.ca in statefun.yaml "
                                       "(or trust_cacerts in module.yaml), or, for a dev "
                                       "certificate only, set tls.insecure_skip_verify: true");
  }
  SECTION("self-signed") {
    TlsServer server(certs.path("self.pem"), certs.path("self.key"));
    CallOutcome outcome = rig.call(server.url(), trusting(certs));
    REQUIRE_FALSE(outcome.ok);
    CHECK_THAT(outcome.error.message,
               Catch::Contains("failed verification: self-signed certificate;"));
  }
}

TEST_CASE("tls client: a certificate for another host is a hostname mismatch", "[runtime][tls]") {
  const auto& certs = TlsCerts::get();
  TlsServer server(certs.path("other.pem"), certs.path("other.key"));
  ClientRig rig(Transport::kWorkers);
  CallOutcome outcome = rig.call(server.url(), trusting(certs));
  REQUIRE_FALSE(outcome.ok);
  CHECK_THAT(outcome.error.message,
             Catch::StartsWith("TLS: the certificate of " + server.host_port() +
                               " does not name the host \"127.0.0.1\" (hostname mismatch)"));
}

TEST_CASE("tls client: insecure_skip_verify accepts any certificate", "[runtime][tls]") {
  const auto& certs = TlsCerts::get();
  TlsServer server(certs.path("self.pem"), certs.path("self.key"));
  ClientRig rig(Transport::kWorkers);
  // Verified first, then not: the settings key the connection, so the
  // second call does not get the first one's (failed) client.
  CHECK_FALSE(rig.call(server.url(), TlsOptions{}).ok);
  CHECK(rig.call(server.url(), TlsOptions{.insecure_skip_verify = true}).ok);
  CHECK_FALSE(rig.call(server.url(), TlsOptions{}).ok);
}

TEST_CASE("tls client: client certificates for a server that demands one", "[runtime][tls]") {
  const auto& certs = TlsCerts::get();
  TlsServer server(certs.path("server.pem"), certs.path("server.key"), certs.ca());
  const auto transport = GENERATE(Transport::kWorkers, Transport::kLoop);
  ClientRig rig(transport);
  SECTION("a plain key") { CHECK(rig.call(server.url(), with_client_identity(certs)).ok); }
  SECTION("an encrypted key and its password file") {
    TlsOptions tls = with_client_identity(certs);
    tls.client_key_file = certs.path("client-enc.key");
    tls.client_key_password_file = certs.path("password.txt");
    CHECK(rig.call(server.url(), tls).ok);
  }
  SECTION("none: the reason says the server asked for one") {
    CallOutcome outcome = rig.call(server.url(), trusting(certs));
    REQUIRE_FALSE(outcome.ok);
    CHECK_THAT(outcome.error.message,
               Catch::StartsWith("TLS: the server at " + server.host_port() +
                                 " asked for a client certificate and none was sent"));
    CHECK_THAT(outcome.error.message, Catch::Contains("set tls.client_cert and tls.client_key"));
  }
  SECTION("one signed by a CA the server does not know") {
    TlsOptions tls = trusting(certs);
    tls.client_cert_file = certs.path("self.pem");
    tls.client_key_file = certs.path("self.key");
    CallOutcome outcome = rig.call(server.url(), tls);
    REQUIRE_FALSE(outcome.ok);
    // The server's alert names the refusal when it arrives before the
    // connection is reset; otherwise that the server asked says enough.
    CHECK_THAT(outcome.error.message,
               Catch::StartsWith("TLS: the server at " + server.host_port() +
                                 " refused the client certificate") ||
                   Catch::StartsWith("TLS: the server at " + server.host_port() +
                                     " asked for a client certificate, got " +
                                     certs.path("self.pem") + " and closed the connection"));
  }
}

TEST_CASE("tls client: https to a plain http server says so", "[runtime][tls]") {
  httplib::Server plain;
  const int port = plain.bind_to_any_port("127.0.0.1");
  std::thread listener([&] { plain.listen_after_bind(); });
  while (!plain.is_running()) std::this_thread::sleep_for(1ms);
  ClientRig rig(Transport::kWorkers);
  CallOutcome outcome =
      rig.call("https://127.0.0.1:" + std::to_string(port) + "/statefun", TlsOptions{});
  plain.stop();
  listener.join();
  REQUIRE_FALSE(outcome.ok);
  CHECK_THAT(outcome.error.message, Catch::StartsWith("TLS handshake with 127.0.0.1:"));
}

TEST_CASE("tls files: each problem names its file", "[runtime][tls]") {
  const auto& certs = TlsCerts::get();
  using statefun::check_tls_files;
  using statefun::TlsFile;
  CHECK(check_tls_files(with_client_identity(certs)).has_value());
  CHECK(check_tls_files(TlsOptions{}).has_value());

  auto missing = check_tls_files(TlsOptions{.ca_file = certs.path("nope.pem")});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().file == TlsFile::kCa);
  CHECK(missing.error().message ==
        certs.path("nope.pem") + ": cannot read the file (No such file or directory)");

  auto not_pem = check_tls_files(TlsOptions{.ca_file = certs.path("password.txt")});
  REQUIRE_FALSE(not_pem);
  CHECK(not_pem.error().message ==
        certs.path("password.txt") +
            ": no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)");

  TlsOptions encrypted = with_client_identity(certs);
  encrypted.client_key_file = certs.path("client-enc.key");
  auto no_password = check_tls_files(encrypted);
  REQUIRE_FALSE(no_password);
  CHECK(no_password.error().file == TlsFile::kClientKey);
  CHECK(no_password.error().message ==
        certs.path("client-enc.key") + ": the key is encrypted and no password file is given");

  encrypted.client_key_password_file = certs.path("ca.pem");  // not the password
  auto wrong_password = check_tls_files(encrypted);
  REQUIRE_FALSE(wrong_password);
  CHECK_THAT(wrong_password.error().message,
             Catch::StartsWith(certs.path("client-enc.key") +
                               ": cannot decrypt the key with the password given"));

  TlsOptions mismatched = with_client_identity(certs);
  mismatched.client_key_file = certs.path("server.key");
  auto other_key = check_tls_files(mismatched);
  REQUIRE_FALSE(other_key);
  CHECK(other_key.error().message == certs.path("server.key") +
                                         ": the key does not belong to the certificate " +
                                         certs.path("client.pem"));

  TlsOptions half = trusting(certs);
  half.client_cert_file = certs.path("client.pem");
  auto no_key = check_tls_files(half);
  REQUIRE_FALSE(no_key);
  CHECK(no_key.error().file == TlsFile::kClientCert);
}
