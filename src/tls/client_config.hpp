#pragma once
// ClientConfig: one SSL_CTX per distinct TlsOptions + ALPN list, shared by every connection made
// with it (cpp-landscape §4.1 pitfall f: creating contexts is costly in OpenSSL 3.0, and the
// trust store is loaded once per context). Immutable once made, so any number of threads may
// handshake with one config at the same time; its session cache has its own lock.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "httptrace/error.hpp"
#include "httptrace/transport.hpp"
#include "tls/openssl_handles.hpp"
#include "tls/session_cache.hpp"

namespace httptrace::tls {

class ClientConfig {
 public:
  // Loads the trust store (the system's, or ca_file / ca_dir instead), the client certificate
  // and key, the version bounds (never below TLS 1.2, whatever openssl.cnf says: bad-inputs
  // policy "Minimum TLS"), the ALPN list (`alpn` if not empty, else options.alpn; both empty =
  // no ALPN) and the session cache. A file that cannot be read or used fails with
  // ErrorCode::tls, tls_kind "config", and a message naming the file. Throws
  // std::invalid_argument for contradictory options: key_file without cert_file, an unknown
  // version, min_version above max_version, an empty or over-long ALPN name.
  static Result<std::shared_ptr<ClientConfig>> make(const TlsOptions& options,
                                                    std::vector<std::string> alpn);

  ClientConfig(const ClientConfig&) = delete;
  ClientConfig& operator=(const ClientConfig&) = delete;

  // Equal exactly for configs made from equal options and ALPN lists; connections made with
  // different identities must never be shared (bad-inputs I56: an insecure connection never
  // serves a verifying request). Part of the pool key.
  const std::string& identity() const noexcept { return identity_; }

  // For the handshake (tls_stream.cpp).
  SSL_CTX* native_handle() const noexcept { return ctx_.get(); }
  bool verifies() const noexcept { return verify_; }
  // TlsOptions::server_name: replaces the URL host for SNI and verification; empty = none.
  const std::string& server_name_override() const noexcept { return server_name_; }
  // Null when TlsOptions::session_cache is off.
  const std::shared_ptr<SessionCache>& session_cache() const noexcept { return sessions_; }
  // The effective bounds (0x0303 = TLS 1.2); max 0 = the highest OpenSSL supports.
  uint16_t min_version() const noexcept { return min_version_; }
  uint16_t max_version() const noexcept { return max_version_; }
  const std::vector<std::string>& alpn() const noexcept { return alpn_; }

 private:
  ClientConfig() = default;

  SslCtxPtr ctx_;
  std::string identity_;
  std::string server_name_;
  std::vector<std::string> alpn_;
  std::shared_ptr<SessionCache> sessions_;
  uint16_t min_version_ = 0;
  uint16_t max_version_ = 0;
  bool verify_ = true;
};

}  // namespace httptrace::tls
