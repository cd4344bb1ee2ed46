// Reading the PEM files of TlsOptions with OpenSSL: once when the
// configuration loads (check_tls_files), so that a bad file is one error at
// start naming it rather than a failure on every call, and again whenever
// the worker client opens an https connection (load_client_identity).
//
// Errors are one line naming the file, e.g.
//   /certs/client.key: the key is encrypted and no password file is given
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <expected>
#include <memory>
#include <string>

#include "runtime/client/function_client.h"
#include "runtime/core/result.h"

namespace statefun {

struct X509Free {
  void operator()(X509* certificate) const { X509_free(certificate); }
};
struct EvpPkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;

// A client certificate and the private key that belongs to it.
struct ClientIdentity {
  X509Ptr certificate;
  EvpPkeyPtr key;
};

// Which file of TlsOptions a problem is about, so the configuration can name
// the field it came from.
enum class TlsFile { kCa, kClientCert, kClientKey, kClientKeyPassword };

struct TlsFileError {
  TlsFile file;
  std::string message;  // names the file
};

// Reads every file `tls` names: the CA file holds at least one PEM
// certificate, the client certificate and key parse (the key decrypted with
// the password file's first line) and belong together. A certificate without
// a key, or the other way round, is an error too.
std::expected<void, TlsFileError> check_tls_files(const TlsOptions& tls);

// The client certificate and key of `tls`; an error when it names none.
Result<ClientIdentity> load_client_identity(const TlsOptions& tls);

}  // namespace statefun
