#pragma once
// TLSConnectionState from an established OpenSSL connection (Go's tls.ConnectionState; the
// field mapping is cpp-landscape §4.1).

#include <openssl/ssl.h>

#include <cstddef>
#include <string>
#include <vector>

#include "httptrace/trace.hpp"
#include "tls/connection_notes.hpp"

namespace httptrace::tls {

// One certificate in DER.
std::vector<std::byte> der_certificate(X509* cert);
// Each certificate of `chain` in DER, in order.
std::vector<std::vector<std::byte>> der_chain(STACK_OF(X509) * chain);

// "TLS 1.2", "TLS 1.3"; "TLS 0x0302"-style for anything else.
std::string version_name(int version);

// The state of `ssl` after a successful handshake. `server_name` is the SNI that was sent (empty
// for IP literals). Verified chains: the one OpenSSL built, or for a resumed session the one its
// first handshake verified; none when `notes.verifying` is off (as Go with InsecureSkipVerify).
TLSConnectionState describe_connection(SSL* ssl, const std::string& server_name,
                                       const ConnectionNotes& notes);

}  // namespace httptrace::tls
