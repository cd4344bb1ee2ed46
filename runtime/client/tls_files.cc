#include "runtime/client/tls_files.h"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

namespace statefun {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

// The reason of the newest OpenSSL error of this thread; the queue is
// emptied, so the next operation starts clean.
std::string openssl_reason() {
  const unsigned long error = ERR_peek_last_error();
  ERR_clear_error();
  const char* reason = error == 0 ? nullptr : ERR_reason_error_string(error);
  return reason ? reason : "unknown error";
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(ErrorCode::kIo,
                      fmt::format("{}: cannot read the file ({})", path, std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

BioPtr memory_bio(const std::string& text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Certificates in a PEM file; fails when there is none.
Result<std::size_t> count_certificates(const std::string& path) {
  auto text = read_file(path);
  if (!text) return std::unexpected(text.error());
  BioPtr bio = memory_bio(*text);
  std::size_t count = 0;
  while (X509Ptr certificate{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) ++count;
  ERR_clear_error();  // the read past the last certificate always "fails"
  if (count == 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{}: no PEM certificate in it (expected -----BEGIN "
                                  "CERTIFICATE-----)",
                                  path));
  }
  return count;
}

Result<X509Ptr> load_certificate(const std::string& path) {
  auto text = read_file(path);
  if (!text) return std::unexpected(text.error());
  BioPtr bio = memory_bio(*text);
  X509Ptr certificate{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)};
  if (!certificate) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{}: no PEM certificate in it (expected -----BEGIN "
                                  "CERTIFICATE-----; {})",
                                  path, openssl_reason()));
  }
  return certificate;
}

// StateFun reads the password from a file; its first line is the password.
Result<std::string> read_password(const std::string& path) {
  auto text = read_file(path);
  if (!text) return std::unexpected(text.error());
  std::string password = text->substr(0, text->find('\n'));
  if (password.ends_with('\r')) password.pop_back();
  return password;
}

struct PasswordRequest {
  const std::optional<std::string>& password;
  bool asked = false;
};

// OpenSSL asks for a password only for an encrypted key. Without one this
// must fail rather than let OpenSSL prompt on the terminal.
int provide_password(char* buffer, int size, int, void* user) {
  auto& request = *static_cast<PasswordRequest*>(user);
  request.asked = true;
  if (!request.password || request.password->size() > static_cast<std::size_t>(size)) return -1;
  std::memcpy(buffer, request.password->data(), request.password->size());
  return static_cast<int>(request.password->size());
}

Result<EvpPkeyPtr> load_private_key(const std::string& path,
                                    const std::optional<std::string>& password) {
  auto text = read_file(path);
  if (!text) return std::unexpected(text.error());
  BioPtr bio = memory_bio(*text);
  PasswordRequest request{password};
  EvpPkeyPtr key{PEM_read_bio_PrivateKey(bio.get(), nullptr, provide_password, &request)};
  if (key) return key;
  const std::string reason = openssl_reason();
  if (request.asked && !password) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{}: the key is encrypted and no password file is given", path));
  }
  if (request.asked) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("{}: cannot decrypt the key with the password given ({})", path, reason));
  }
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("{}: no PEM private key in it (expected -----BEGIN PRIVATE "
                                "KEY-----; {})",
                                path, reason));
}

std::unexpected<TlsFileError> file_error(TlsFile file, const Error& error) {
  return std::unexpected(TlsFileError{file, error.message});
}

// The identity of `tls`, with each problem pinned on its file.
std::expected<ClientIdentity, TlsFileError> read_identity(const TlsOptions& tls) {
  if (tls.client_cert_file.empty() || tls.client_key_file.empty()) {
    const bool has_cert = !tls.client_cert_file.empty();
    return std::unexpected(TlsFileError{
        has_cert ? TlsFile::kClientCert : TlsFile::kClientKey,
        has_cert ? fmt::format("{}: a client certificate needs its private key too",
                               tls.client_cert_file)
                 : fmt::format("{}: a client key needs its certificate too", tls.client_key_file)});
  }
  std::optional<std::string> password;
  if (!tls.client_key_password_file.empty()) {
    auto read = read_password(tls.client_key_password_file);
    if (!read) return file_error(TlsFile::kClientKeyPassword, read.error());
    password = std::move(*read);
  }
  auto certificate = load_certificate(tls.client_cert_file);
  if (!certificate) return file_error(TlsFile::kClientCert, certificate.error());
  auto key = load_private_key(tls.client_key_file, password);
  if (!key) return file_error(TlsFile::kClientKey, key.error());
  if (X509_check_private_key(certificate->get(), key->get()) != 1) {
    ERR_clear_error();
    return std::unexpected(TlsFileError{
        TlsFile::kClientKey, fmt::format("{}: the key does not belong to the certificate {}",
                                         tls.client_key_file, tls.client_cert_file)});
  }
  return ClientIdentity{std::move(*certificate), std::move(*key)};
}

}  // namespace

std::expected<void, TlsFileError> check_tls_files(const TlsOptions& tls) {
  if (!tls.ca_file.empty()) {
    if (auto counted = count_certificates(tls.ca_file); !counted) {
      return file_error(TlsFile::kCa, counted.error());
    }
  }
  if (tls.client_cert_file.empty() && tls.client_key_file.empty()) {
    if (!tls.client_key_password_file.empty()) {
      return std::unexpected(
          TlsFileError{TlsFile::kClientKeyPassword,
                       fmt::format("{}: a key password file without a client key and certificate",
                                   tls.client_key_password_file)});
    }
    return {};
  }
  auto identity = read_identity(tls);
  if (!identity) return std::unexpected(identity.error());
  return {};
}

Result<ClientIdentity> load_client_identity(const TlsOptions& tls) {
  auto identity = read_identity(tls);
  if (!identity) return make_error(ErrorCode::kInvalidArgument, identity.error().message);
  return std::move(*identity);
}

}  // namespace statefun
