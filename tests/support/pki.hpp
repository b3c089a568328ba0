#pragma once
// TestPki: a throwaway certificate authority for TLS tests, built with the OpenSSL 3 API into
// a temp dir (removed on destruction) — no openssl CLI, nothing checked in, nothing that
// expires in the repository.
//
//   TestPki pki;
//   CertFiles leaf = pki.localhost_server();   // SAN localhost, 127.0.0.1, ::1
//   NginxOptions options;
//   options.tls = NginxTlsOptions{};
//   options.tls->certificate = leaf.chain;
//   options.tls->private_key = leaf.key;
//   NginxServer nginx(options);
//   ... client trusts pki.ca_cert() ...
//
// Keys are EC P-256 unless a spec asks for RSA; signatures SHA-256. Not thread-safe: issue
// certificates from one thread (the files may then be read from any).

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace httptrace::testing {

enum class KeyType { ec_p256, rsa_2048 };
// extendedKeyUsage of a leaf.
enum class CertPurpose { server, client, server_and_client };
// Who signs: the main CA, the second unrelated CA, or the leaf itself.
enum class CertIssuer { ca, other_ca, self };

struct CertSpec {
  // The file stem (<name>.crt, <name>.key, <name>.chain.pem), unique per TestPki (reusing one
  // overwrites the files), and the subject CN unless common_name is set.
  std::string name;
  std::string common_name;
  // subjectAltName entries. Both empty: no SAN extension at all (a CN-only certificate).
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;  // "127.0.0.1", "::1"
  // The validity window, relative to now: negative is in the past.
  std::chrono::seconds not_before = std::chrono::hours(-1);
  std::chrono::seconds not_after = std::chrono::hours(24 * 365);
  CertPurpose purpose = CertPurpose::server;
  CertIssuer issuer = CertIssuer::ca;
  KeyType key = KeyType::ec_p256;
};

// PEM files of one issued certificate.
struct CertFiles {
  std::filesystem::path cert;  // the certificate alone
  std::filesystem::path key;   // its private key, unencrypted PKCS#8
  std::filesystem::path
      chain;  // the certificate, then its issuer's (the cert alone if self-signed)
};

class TestPki {
 public:
  // Creates the temp dir, the CA ("httptrace test CA") and a second, unrelated CA ("httptrace
  // other CA"). Throws std::runtime_error with OpenSSL's error queue if anything fails.
  TestPki();
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  const std::filesystem::path& dir() const noexcept;
  // The trust anchors, PEM (a certificate each).
  const std::filesystem::path& ca_cert() const noexcept;
  const std::filesystem::path& other_ca_cert() const noexcept;
  const std::filesystem::path& ca_key() const noexcept;

  // Issues a certificate per `spec`. Throws std::invalid_argument for an empty name or an
  // address that is not an IP literal; std::runtime_error on an OpenSSL failure.
  CertFiles issue(const CertSpec& spec);

  // Shorthands (each issues afresh under the given name). Servers have serverAuth, clients
  // clientAuth; all are signed by the CA unless the name says otherwise.
  // SAN DNS:localhost, IP:127.0.0.1, IP:::1.
  CertFiles localhost_server(const std::string& name = "localhost");
  // SAN as localhost_server; valid from 2 days ago until 1 day ago.
  CertFiles expired_server(const std::string& name = "expired");
  // SAN as localhost_server; valid from 1 day ahead.
  CertFiles not_yet_valid_server(const std::string& name = "not-yet-valid");
  // No SAN; subject CN = `common_name` (Go and we reject these for host names).
  CertFiles cn_only_server(const std::string& common_name = "localhost",
                           const std::string& name = "cn-only");
  // SAN as localhost_server, self-signed (not a CA).
  CertFiles self_signed_server(const std::string& name = "self-signed");
  // SAN as localhost_server, signed by the other CA.
  CertFiles other_ca_server(const std::string& name = "other-ca");
  // extendedKeyUsage clientAuth, SAN DNS:<name>.
  CertFiles client(const std::string& name = "client");

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace httptrace::testing
