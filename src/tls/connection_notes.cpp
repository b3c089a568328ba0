#include "tls/connection_notes.hpp"

#include <openssl/x509.h>

#include <ctime>

#include "tls/connection_state.hpp"

namespace httptrace::tls {

namespace {

int notes_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

ConnectionNotes* notes_of(const SSL* ssl) {
  return static_cast<ConnectionNotes*>(SSL_get_ex_data(ssl, notes_index()));
}

std::string rfc3339(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) return "?";
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

int on_verify(int preverify_ok, X509_STORE_CTX* store) {
  if (preverify_ok == 1) return 1;
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  ConnectionNotes* notes = ssl != nullptr ? notes_of(ssl) : nullptr;
  if (notes != nullptr && notes->verify_failure.code == 0) {
    VerifyFailure& failure = notes->verify_failure;
    failure.code = X509_STORE_CTX_get_error(store);
    failure.depth = X509_STORE_CTX_get_error_depth(store);
    if (X509* cert = X509_STORE_CTX_get_current_cert(store); cert != nullptr) {
      failure.not_before = rfc3339(X509_get0_notBefore(cert));
      failure.not_after = rfc3339(X509_get0_notAfter(cert));
    }
  }
  // Keep OpenSSL's verdict: with SSL_VERIFY_PEER it fails the handshake, with SSL_VERIFY_NONE
  // (insecure_skip_verify) it is ignored.
  return preverify_ok;
}

// A client's cert_cb runs exactly when a CertificateRequest arrived (statem_clnt.c,
// tls_prepare_client_certificate): the one sign that the server wants a client certificate.
int on_certificate_request(SSL* ssl, void* /*arg*/) {
  if (ConnectionNotes* notes = notes_of(ssl); notes != nullptr) notes->certificate_requested = true;
  return 1;
}

int on_new_session(SSL* ssl, SSL_SESSION* session) {
  ConnectionNotes* notes = notes_of(ssl);
  if (notes == nullptr) return 0;
  notes->session_ticket_seen = true;
  if (!notes->cache) return 0;
  std::shared_ptr<const DerChains> chains;
  if (SSL_session_reused(ssl) == 1) {
    chains = notes->offered_chains;
  } else if (notes->verifying) {
    if (STACK_OF(X509)* verified = SSL_get0_verified_chain(ssl); verified != nullptr) {
      chains = std::make_shared<const DerChains>(DerChains{der_chain(verified)});
    }
  }
  // Returning 1 hands our reference to the cache.
  notes->cache->put(notes->session_key, session, std::move(chains));
  return 1;
}

}  // namespace

void attach_notes(SSL* ssl, ConnectionNotes* notes) {
  SSL_set_ex_data(ssl, notes_index(), notes);
}

void install_callbacks(SSL_CTX* ctx) {
  SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(ctx), on_verify);
  SSL_CTX_set_cert_cb(ctx, on_certificate_request, nullptr);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, on_new_session);
}

}  // namespace httptrace::tls
