#pragma once
// The demo's HTTPS identity: a self-signed certificate for 127.0.0.1 and localhost, made at
// start (an EC P-256 key, valid for a week), so `httptrace demo` needs no files and no network.

#include <string>

namespace httptrace::cli {

struct DemoCertificate {
  std::string certificate_pem;
  std::string private_key_pem;
};

// Throws std::runtime_error when OpenSSL fails.
DemoCertificate make_demo_certificate();

}  // namespace httptrace::cli
