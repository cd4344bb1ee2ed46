#include "runtime/client/tls_failures.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace statefun::detail {
namespace {

constexpr std::string_view kTrustHint =
    "trust its CA with tls.ca in statefun.yaml (or trust_cacerts in module.yaml), or, for a "
    "dev certificate only, set tls.insecure_skip_verify: true";

bool is_certificate_alert(unsigned long error) {
  switch (ERR_GET_REASON(error)) {
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
      return true;
    default:
      return false;
  }
}

constexpr std::string_view kClientCertHint =
    "set tls.client_cert and tls.client_key in statefun.yaml (or client_cert and client_key in "
    "module.yaml)";

}  // namespace

CallOutcome certificate_not_trusted(const Endpoint& endpoint, long verify_result) {
  return failure(
      CallErrorKind::kConnect,
      fmt::format("TLS: the certificate of {} failed verification: {}; {}", endpoint.host_port(),
                  X509_verify_cert_error_string(verify_result), kTrustHint));
}

CallOutcome certificate_for_another_host(const Endpoint& endpoint) {
  return failure(CallErrorKind::kConnect,
                 fmt::format("TLS: the certificate of {} does not name the host \"{}\" (hostname "
                             "mismatch); call the server by a name its certificate lists, or, for "
                             "a dev certificate only, set tls.insecure_skip_verify: true",
                             endpoint.host_port(), endpoint.host));
}

std::optional<CallOutcome> tls_failure(const Endpoint& endpoint, unsigned long openssl_error,
                                       bool sent_client_certificate, bool in_handshake) {
  if (openssl_error == 0 || ERR_GET_LIB(openssl_error) != ERR_LIB_SSL) return std::nullopt;
  const char* text = ERR_reason_error_string(openssl_error);
  const std::string reason = text ? text : fmt::format("OpenSSL error {:#x}", openssl_error);
  const std::string where = endpoint.host_port();
  switch (ERR_GET_REASON(openssl_error)) {
    // TLS 1.3 names the missing certificate; TLS 1.2 servers send a
    // handshake failure, which without a certificate of ours means the same.
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
      if (!sent_client_certificate) return client_certificate_missing(endpoint, openssl_error);
      break;
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
      if (sent_client_certificate) {
        return failure(CallErrorKind::kConnect,
                       fmt::format("TLS: the server at {} refused the client certificate ({})",
                                   where, reason));
      }
      break;
    case SSL_R_WRONG_VERSION_NUMBER:
      return failure(CallErrorKind::kConnect,
                     fmt::format("TLS handshake with {} failed: {} (does it serve plain http? "
                                 "then use an http:// URL)",
                                 where, reason));
    default:
      break;
  }
  // After the handshake only the alerts above speak for themselves; a plain
  // close (unexpected eof) is the transport failure it looks like.
  if (!in_handshake) return std::nullopt;
  return failure(CallErrorKind::kConnect,
                 fmt::format("TLS handshake with {} failed: {}", where, reason));
}

CallOutcome client_certificate_missing(const Endpoint& endpoint, unsigned long openssl_error) {
  const char* reason = openssl_error == 0 ? nullptr : ERR_reason_error_string(openssl_error);
  return failure(
      CallErrorKind::kConnect,
      fmt::format("TLS: the server at {} asked for a client certificate and none was "
                  "sent{}; {}",
                  endpoint.host_port(), reason ? fmt::format(" ({})", reason) : std::string(),
                  kClientCertHint));
}

CallOutcome client_certificate_perhaps_refused(const Endpoint& endpoint,
                                               const std::string& client_cert_file) {
  return failure(CallErrorKind::kConnect,
                 fmt::format("TLS: the server at {} asked for a client certificate, got {} and "
                             "closed the connection: it may not accept that certificate (is it "
                             "signed by a CA the server trusts?)",
                             endpoint.host_port(), client_cert_file));
}

unsigned long take_telling_openssl_error() {
  unsigned long first_tls = 0;
  unsigned long alert = 0;
  while (const unsigned long error = ERR_get_error()) {
    if (ERR_GET_LIB(error) != ERR_LIB_SSL) continue;
    if (first_tls == 0) first_tls = error;
    if (alert == 0 && is_certificate_alert(error)) alert = error;
  }
  return alert != 0 ? alert : first_tls;
}

CallOutcome tls_files_unusable(const Endpoint& endpoint, const std::string& problem) {
  return failure(CallErrorKind::kConnect,
                 fmt::format("TLS: cannot call {}: {}", endpoint.host_port(), problem));
}

}  // namespace statefun::detail
