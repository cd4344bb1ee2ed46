// Certificates for the TLS tests, made fresh by the `openssl` command line
// in a temporary folder (nothing secret is committed): a CA, a server
// certificate for 127.0.0.1 and localhost, one for another host name, a
// self-signed one, and a client certificate with a plain and a
// password-protected key. Made once per test run; the folder is removed at exit.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace statefun::test {

class TlsCerts {
 public:
  static const TlsCerts& get() {
    static const TlsCerts certs;
    return certs;
  }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // ca.pem; server.pem/server.key (127.0.0.1, localhost); other.pem/other.key
  // (other.example); self.pem/self.key (self-signed, 127.0.0.1);
  // client.pem/client.key; client-enc.key with its password in password.txt.
  std::string ca() const { return path("ca.pem"); }

  ~TlsCerts() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

 private:
  TlsCerts() {
    dir_ = std::filesystem::temp_directory_path() /
           ("statefun-tls-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    const std::string d = dir_.string();
    const std::string quiet = " >/dev/null 2>&1";
    run("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=statefun-test-ca -keyout " +
        d + "/ca.key -out " + d + "/ca.pem" + quiet);
    leaf("server", "subjectAltName=IP:127.0.0.1,DNS:localhost");
    leaf("other", "subjectAltName=DNS:other.example");
    leaf("client", "extendedKeyUsage=clientAuth");
    run("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=self -addext "
        "subjectAltName=IP:127.0.0.1 -keyout " +
        d + "/self.key -out " + d + "/self.pem" + quiet);
    std::ofstream(d + "/password.txt") << "s3cret\n";
    run("openssl pkcs8 -topk8 -v2 aes-256-cbc -in " + d + "/client.key -out " + d +
        "/client-enc.key -passout pass:s3cret" + quiet);
  }

  void leaf(const std::string& name, const std::string& extension) {
    const std::string d = dir_.string();
    const std::string quiet = " >/dev/null 2>&1";
    run("openssl req -newkey rsa:2048 -nodes -subj /CN=" + name + " -keyout " + d + "/" + name +
        ".key -out " + d + "/" + name + ".csr" + quiet);
    std::ofstream(d + "/" + name + ".ext") << extension << "\n";
    run("openssl x509 -req -days 2 -in " + d + "/" + name + ".csr -CA " + d + "/ca.pem -CAkey " +
        d + "/ca.key -CAcreateserial -extfile " + d + "/" + name + ".ext -out " + d + "/" + name +
        ".pem" + quiet);
  }

  static void run(const std::string& command) {
    if (std::system(command.c_str()) != 0) throw std::runtime_error("failed: " + command);
  }

  std::filesystem::path dir_;
};

}  // namespace statefun::test
