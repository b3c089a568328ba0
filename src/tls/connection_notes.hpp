#pragma once
// ConnectionNotes: what OpenSSL's callbacks learn about one client connection while a handshake
// or a read runs — the first certificate-verification failure, whether the server asked for a
// client certificate, which session tickets arrived — and where they store new sessions.
// Reached from the callbacks through the SSL's ex_data.

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "tls/session_cache.hpp"

namespace httptrace::tls {

// The first error the chain or name check reported (later ones follow from it).
struct VerifyFailure {
  long code = 0;  // X509_V_ERR_*, 0 = none
  int depth = 0;  // 0 = the leaf
  // Validity of the certificate at `depth`, RFC 3339 UTC ("2026-11-22T15:45:50Z").
  std::string not_before;
  std::string not_after;
};

struct ConnectionNotes {
  // Where new sessions go; null when the config has session_cache off.
  std::shared_ptr<SessionCache> cache;
  std::string session_key;  // "host:port"
  // Whether chains are verified at all (insecure_skip_verify off).
  bool verifying = true;
  // The chains verified when the session this connection offers began: what a resumed
  // connection reports, and stores again with the tickets it receives.
  std::shared_ptr<const DerChains> offered_chains;

  bool certificate_requested = false;  // the server sent a CertificateRequest
  bool session_ticket_seen = false;    // a NewSessionTicket (or TLS 1.2 session) arrived
  VerifyFailure verify_failure;
};

// Links `notes` to `ssl`; the notes must outlive every OpenSSL call on it.
void attach_notes(SSL* ssl, ConnectionNotes* notes);

// Installs the verify, certificate-request and new-session callbacks on a client SSL_CTX, and a
// client-side session cache that OpenSSL does not store itself (ours is keyed by host:port).
void install_callbacks(SSL_CTX* ctx);

}  // namespace httptrace::tls
