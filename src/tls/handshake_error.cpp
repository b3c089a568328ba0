#include "tls/handshake_error.hpp"

#include <openssl/x509_vfy.h>

#include <ctime>

#include "tls/certificate_names.hpp"
#include "tls/connection_state.hpp"

namespace httptrace::tls {

namespace {

constexpr int kAlertReasonFirst = SSL_AD_REASON_OFFSET;  // SSL_R_*_ALERT_* = 1000 + alert
constexpr int kAlertReasonLast = SSL_AD_REASON_OFFSET + 255;

Error tls_error(std::string_view kind, std::string message) {
  Error error(ErrorCode::tls, std::move(message));
  error.with_tls_kind(kind);
  return error;
}

bool is_alert(int reason) {
  return reason >= kAlertReasonFirst && reason <= kAlertReasonLast;
}

int first_alert(const OpenSslErrors& errors) {
  const int reason = errors.first_ssl_reason();
  return is_alert(reason) ? reason : 0;
}

std::string now_rfc3339() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// TLS records start with a content type (20..24: change_cipher_spec, alert, handshake,
// application_data, heartbeat) and major version 3 (RFC 8446 §5.1).
bool looks_like_tls(const BioTarget& bio) {
  if (bio.first_bytes_length == 0) return true;
  const unsigned char type = bio.first_bytes[0];
  if (type < 20 || type > 24) return false;
  return bio.first_bytes_length < 2 || bio.first_bytes[1] == 3;
}

bool starts_with_http(const BioTarget& bio) {
  static constexpr char kHttp[] = "HTTP/";
  for (std::size_t i = 0; i < bio.first_bytes_length; ++i) {
    if (bio.first_bytes[i] != static_cast<unsigned char>(kHttp[i])) return false;
  }
  return bio.first_bytes_length > 0;
}

std::string allowed_versions(const ClientConfig& config) {
  std::string text = "this client allows " + version_name(config.min_version());
  if (config.max_version() == 0) return text + " and up";
  if (config.max_version() == config.min_version()) return text + " only";
  return text + " to " + version_name(config.max_version());
}

bool is_version_reason(int reason) {
  switch (reason) {
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
    case SSL_R_WRONG_SSL_VERSION:
    case SSL_R_UNSUPPORTED_SSL_VERSION:
    case SSL_R_VERSION_TOO_LOW:
    case SSL_R_VERSION_TOO_HIGH:
      return true;
    default:
      return false;
  }
}

Error verify_error(const HandshakeFailure& failure) {
  const VerifyFailure& verify = failure.notes->verify_failure;
  const long code = verify.code != 0 ? verify.code : SSL_get_verify_result(failure.ssl);
  const std::string detail = X509_verify_cert_error_string(code);
  const char* whose = verify.depth == 0 ? "certificate" : "issuing certificate in the chain";
  switch (code) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
      return tls_error("unknown_authority",
                       "x509: certificate signed by unknown authority (" + detail + ")");
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return tls_error("expired", std::string("x509: ") + whose + " has expired: current time " +
                                      now_rfc3339() + " is after " + verify.not_after);
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return tls_error("not_yet_valid", std::string("x509: ") + whose +
                                            " is not yet valid: current time " + now_rfc3339() +
                                            " is before " + verify.not_before);
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH: {
      STACK_OF(X509)* chain = SSL_get_peer_cert_chain(failure.ssl);
      X509* leaf = chain != nullptr && sk_X509_num(chain) > 0 ? sk_X509_value(chain, 0) : nullptr;
      return tls_error("name_mismatch", name_mismatch_message(leaf, failure.verified_name,
                                                              failure.verified_name_is_ip));
    }
    default:
      return tls_error("handshake", "x509: certificate verification failed: " + detail);
  }
}

Error classify(const HandshakeFailure& failure) {
  const OpenSslErrors& errors = *failure.errors;
  const BioTarget& bio = *failure.bio;
  // bad-inputs I: an https URL pointed at a plain-HTTP port (Go's hook error is "tls: first
  // record does not look like a TLS handshake").
  if (!looks_like_tls(bio)) {
    if (starts_with_http(bio)) {
      return tls_error("not_tls", "server answered plain HTTP to a TLS handshake (http:// URL?)");
    }
    return tls_error("not_tls", "tls: first record does not look like a TLS handshake");
  }
  if (failure.ssl_error == SSL_ERROR_SYSCALL && bio.error) return *bio.error;
  if (errors.has_ssl_reason(SSL_R_CERTIFICATE_VERIFY_FAILED)) return verify_error(failure);
  if (is_client_certificate_alert(errors, *failure.notes)) {
    return post_handshake_error(errors, *failure.notes, failure.ssl, "tls handshake");
  }
  const int reason = errors.first_ssl_reason();
  if (is_version_reason(reason)) {
    return tls_error("protocol_version", "tls: no TLS version in common with the server (" +
                                             allowed_versions(*failure.config) +
                                             "): " + errors.text());
  }
  if (bio.eof) {
    return tls_error("handshake", "tls: the server closed the connection during the handshake");
  }
  if (is_alert(reason)) return tls_error("handshake", "tls: remote error: " + errors.text());
  return tls_error("handshake", "tls: handshake failed: " + errors.text());
}

}  // namespace

bool is_client_certificate_alert(const OpenSslErrors& errors, const ConnectionNotes& notes) {
  const int alert = first_alert(errors);
  if (alert == SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED) return true;
  // TLS 1.2 has no certificate_required alert: a server refusing a missing or unacceptable
  // client certificate sends handshake_failure, bad_certificate, unknown_ca, ... right after
  // it. Only alerts that follow a CertificateRequest count.
  return alert != 0 && notes.certificate_requested;
}

Error post_handshake_error(const OpenSslErrors& errors, const ConnectionNotes& notes, SSL* ssl,
                           const char* op) {
  Error error = [&] {
    if (!is_client_certificate_alert(errors, notes)) {
      return tls_error("protocol", "tls: " + errors.text("protocol error"));
    }
    if (SSL_get_certificate(ssl) == nullptr) {
      return tls_error("certificate_required",
                       "tls: the server requires a client certificate (TlsOptions::cert_file): " +
                           errors.text());
    }
    return tls_error("handshake",
                     "tls: the server rejected the client certificate: " + errors.text());
  }();
  error.with_op(op);
  return error;
}

Error handshake_error(const HandshakeFailure& failure) {
  Error error = classify(failure);
  error.with_op("tls handshake");
  if (failure.bio != nullptr && failure.bio->stream != nullptr) {
    error.with_addr(failure.bio->stream->remote_addr());
  }
  return error;
}

}  // namespace httptrace::tls
