#pragma once
// The names a certificate is valid for, for Go-style name-mismatch messages
// ("x509: certificate is valid for a.test, not b.test").

#include <openssl/x509.h>

#include <string>
#include <vector>

namespace httptrace::tls {

struct CertificateNames {
  std::vector<std::string> dns_names;     // subjectAltName dNSName entries
  std::vector<std::string> ip_addresses;  // subjectAltName iPAddress entries, "127.0.0.1", "::1"
  std::string common_name;                // the subject CN (never used for matching)
};

CertificateNames certificate_names(X509* cert);

// Why `cert` does not match `wanted` (a host name, or an IP literal when `wanted_is_ip`), in
// Go's words (crypto/x509 HostnameError): SAN entries only, no Common Name fallback.
std::string name_mismatch_message(X509* cert, const std::string& wanted, bool wanted_is_ip);

}  // namespace httptrace::tls
