#pragma once
// Why a TLS operation failed, as an Error a person can act on: the tls_kind taxonomy of api.md
// (unknown_authority, name_mismatch, expired, not_yet_valid, protocol_version,
// certificate_required, not_tls, handshake) with Go's texts where Go has one
// (trace-semantics §2 TLSHandshakeDone, §5 i3/i4).

#include <openssl/ssl.h>

#include <string>

#include "httptrace/error.hpp"
#include "tls/client_config.hpp"
#include "tls/connection_notes.hpp"
#include "tls/openssl_handles.hpp"
#include "tls/stream_bio.hpp"

namespace httptrace::tls {

// Everything known about a failed SSL_connect (or the post-handshake check after it).
struct HandshakeFailure {
  SSL* ssl = nullptr;
  int ssl_error = 0;  // SSL_get_error
  const OpenSslErrors* errors = nullptr;
  const BioTarget* bio = nullptr;
  const ConnectionNotes* notes = nullptr;
  const ClientConfig* config = nullptr;
  std::string verified_name;  // the host name or IP literal the certificate had to match
  bool verified_name_is_ip = false;
};

// The Error for a failed handshake: ErrorCode::tls with its tls_kind, or the transport's own
// failure (a reset, say) when that is what broke it. op is "tls handshake".
Error handshake_error(const HandshakeFailure& failure);

// The Error for a TLS failure after the handshake (a read or write): a missing or rejected
// client certificate reported late (TLS 1.3 servers check it after the client's Finished), or
// any other alert or record error (ErrorCode::tls, tls_kind "protocol").
Error post_handshake_error(const OpenSslErrors& errors, const ConnectionNotes& notes, SSL* ssl,
                           const char* op);

// Whether OpenSSL's queue holds an alert by which the server refused a missing or unacceptable
// client certificate.
bool is_client_certificate_alert(const OpenSslErrors& errors, const ConnectionNotes& notes);

}  // namespace httptrace::tls
