#include "tls/openssl_handles.hpp"

#include <openssl/err.h>

namespace httptrace::tls {

OpenSslErrors OpenSslErrors::take() {
  OpenSslErrors errors;
  for (unsigned long code = ERR_get_error(); code != 0; code = ERR_get_error()) {
    errors.codes_.push_back(code);
  }
  return errors;
}

bool OpenSslErrors::has_ssl_reason(int reason) const noexcept {
  return has_reason(ERR_LIB_SSL, reason);
}

bool OpenSslErrors::has_reason(int lib, int reason) const noexcept {
  for (unsigned long code : codes_) {
    if (ERR_GET_LIB(code) == lib && ERR_GET_REASON(code) == reason) return true;
  }
  return false;
}

int OpenSslErrors::first_ssl_reason() const noexcept {
  for (unsigned long code : codes_) {
    if (ERR_GET_LIB(code) == ERR_LIB_SSL) return ERR_GET_REASON(code);
  }
  return 0;
}

std::string OpenSslErrors::text(const char* fallback) const {
  // The SSL library's entry names the failure; lower-level entries (BIO, X509) are details.
  unsigned long chosen = codes_.empty() ? 0 : codes_.front();
  for (unsigned long code : codes_) {
    if (ERR_GET_LIB(code) == ERR_LIB_SSL) {
      chosen = code;
      break;
    }
  }
  const char* reason = chosen != 0 ? ERR_reason_error_string(chosen) : nullptr;
  return reason != nullptr ? std::string(reason) : std::string(fallback);
}

}  // namespace httptrace::tls
