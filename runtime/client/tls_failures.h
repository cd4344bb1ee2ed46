// Internal to the worker client (http_function_client.cc): the one-line
// reasons of https attempts that failed in TLS, each saying what went wrong
// with which server and what to do about it. They become CallError messages,
// so `statefun inbox ls`, the status and the console show them as they are.
#pragma once

#include <optional>

#include "runtime/client/function_call_common.h"

namespace statefun::detail {

// The server's certificate chain failed verification; `verify_result` is
// OpenSSL's X509_V_ERR_* code for it.
CallOutcome certificate_not_trusted(const Endpoint& endpoint, long verify_result);

// The chain verified, but the certificate does not name the URL's host.
CallOutcome certificate_for_another_host(const Endpoint& endpoint);

// A TLS handshake, or a read or write after it, that failed with
// `openssl_error` (the newest error of the thread's OpenSSL queue). nullopt
// when that says nothing a transport failure would not: no TLS error, or,
// after the handshake, no alert about certificates. A TLS 1.3 server checks
// the client certificate after the client's side of the handshake is done,
// so its refusal shows on the first read. `sent_client_certificate`: one was
// configured, which tells "none was sent" apart from "it was refused".
std::optional<CallOutcome> tls_failure(const Endpoint& endpoint, unsigned long openssl_error,
                                       bool sent_client_certificate, bool in_handshake);

// The server asked for a client certificate during the handshake, none was
// configured, and the exchange then failed: a TLS 1.3 server's refusal may
// arrive only after the client's request has gone out, or be lost when the
// server resets the connection, so the request itself is the telling sign.
// `openssl_error` adds OpenSSL's words when there are any.
CallOutcome client_certificate_missing(const Endpoint& endpoint, unsigned long openssl_error);

// The server asked for a client certificate, got `client_cert_file`, and then
// closed the connection without saying why (no alert reached the client).
CallOutcome client_certificate_perhaps_refused(const Endpoint& endpoint,
                                               const std::string& client_cert_file);

// Empties this thread's OpenSSL error queue and returns the error that says
// most about a failed TLS exchange: a certificate alert if there is one (a
// failed read can queue more errors after it), else the first TLS error, else 0.
unsigned long take_telling_openssl_error();

// The files of CallOptions::tls did not load when the connection was made.
CallOutcome tls_files_unusable(const Endpoint& endpoint, const std::string& problem);

}  // namespace statefun::detail
