#pragma once
// A DER certificate made in memory with OpenSSL, with exactly the fields a test names.

#include <string>
#include <vector>

namespace httptrace::testing {

struct TestCertificate {
  std::string subject_cn = "example.test";
  std::string subject_o = "Example";
  std::string issuer_cn = "httptrace test CA";
  std::string not_before = "20240101000000Z";  // ASN.1 GeneralizedTime
  std::string not_after = "20300102030405Z";
  std::vector<std::string> dns_names = {"example.test", "www.example.test"};
};

// The DER bytes; throws std::runtime_error when OpenSSL fails.
std::vector<std::byte> make_certificate_der(const TestCertificate& spec);

}  // namespace httptrace::testing
