// The client handshake: SNI, verification targets, session resumption, the SSL_connect loop
// with every wait through the transport (deadline, cancellation, handshake timeout), and the
// hooks around it.

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <stdexcept>

#include "tls/connection_state.hpp"
#include "tls/handshake_error.hpp"
#include "tls/tls_stream.hpp"

namespace httptrace::tls {

namespace {

using namespace std::chrono_literals;

// How long a TLS 1.3 handshake that sent (or withheld) a requested client certificate waits for
// the server's verdict (see handshake() in tls_stream.hpp): servers send their session tickets
// at once, so an accepted client waits one round trip.
constexpr std::chrono::nanoseconds kClientAuthVerdictWindow = 1s;

// The name to send and verify: no brackets, no IPv6 zone, no trailing dot (Go's hostnameInSNI).
std::string normalized_host(std::string host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (auto zone = host.find('%'); zone != std::string::npos) host.resize(zone);
  if (!host.empty() && host.back() == '.') host.pop_back();
  return host;
}

bool is_ip_literal(const std::string& host) {
  unsigned char bytes[16];
  return inet_pton(AF_INET, host.c_str(), bytes) == 1 ||
         inet_pton(AF_INET6, host.c_str(), bytes) == 1;
}

Error setup_error(const std::string& what) {
  Error error(ErrorCode::tls, "tls: " + what + ": " + OpenSslErrors::take().text());
  error.with_tls_kind("handshake").with_op("tls handshake");
  return error;
}

}  // namespace

Result<void> TlsStream::prepare(const ClientConfig& config, const HandshakeParams& params) {
  const std::string& name =
      config.server_name_override().empty() ? params.host : config.server_name_override();
  verified_name_ = normalized_host(name);
  verified_name_is_ip_ = is_ip_literal(verified_name_);

  ssl_.reset(SSL_new(config.native_handle()));
  if (!ssl_) return fail(setup_error("cannot create a connection"));
  SSL* ssl = ssl_.get();
  bio_.stream = transport_.get();
  BIO* bio = make_stream_bio(&bio_);
  if (bio == nullptr) return fail(setup_error("cannot create the stream BIO"));
  SSL_set_bio(ssl, bio, bio);

  notes_.cache = config.session_cache();
  notes_.session_key = normalized_host(params.host) + ":" + std::to_string(params.port);
  notes_.verifying = config.verifies();
  attach_notes(ssl, &notes_);

  // RFC 6066 §3: no SNI for IP literals.
  if (!verified_name_is_ip_) {
    if (SSL_set_tlsext_host_name(ssl, verified_name_.c_str()) != 1) {
      return fail(setup_error("cannot set the server name \"" + verified_name_ + "\""));
    }
    server_name_ = verified_name_;
  }
  if (config.verifies()) {
    // bad-inputs policy "Hostname check": subjectAltName only (as Go since 1.15), no partial
    // wildcards such as f*.example.com.
    SSL_set_hostflags(ssl,
                      X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
    const int set = verified_name_is_ip_
                        ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), verified_name_.c_str())
                        : SSL_set1_host(ssl, verified_name_.c_str());
    if (set != 1) return fail(setup_error("cannot verify against \"" + verified_name_ + "\""));
  }
  if (notes_.cache) {
    if (auto cached = notes_.cache->take(notes_.session_key)) {
      // A session the server no longer accepts costs nothing but a full handshake.
      if (SSL_set_session(ssl, cached->session.get()) == 1) {
        notes_.offered_chains = std::move(cached->verified_chains);
      }
      OpenSslErrors::take();
    }
  }
  SSL_set_connect_state(ssl);
  return {};
}

Error TlsStream::wait_failure(const Error& error) const {
  if (error.code() == ErrorCode::timeout) {
    Error timeout(ErrorCode::timeout, "net/http: TLS handshake timeout");
    timeout.with_op("tls handshake").with_addr(transport_->remote_addr());
    return timeout;
  }
  Error copy = error;
  if (copy.op().empty()) copy.with_op("tls handshake");
  if (copy.addr().empty()) copy.with_addr(transport_->remote_addr());
  return copy;
}

Result<void> TlsStream::connect(const ClientConfig& config, const HandshakeParams& params,
                                const Context& ctx) {
  if (const Error* done = ctx.err(); done != nullptr) return fail(wait_failure(*done));
  if (auto prepared = prepare(config, params); !prepared) {
    fatal_ = true;
    return fail(std::move(prepared.error()));
  }
  std::optional<net::TimePoint> deadline;
  if (params.timeout > 0ns) deadline = net::Clock::now() + params.timeout;

  SSL* ssl = ssl_.get();
  for (;;) {
    ERR_clear_error();
    const int result = SSL_connect(ssl);
    if (result == 1) break;
    const int code = SSL_get_error(ssl, result);
    if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) {
      auto ready = transport_->wait(code == SSL_ERROR_WANT_READ, code == SSL_ERROR_WANT_WRITE, ctx,
                                    deadline);
      if (!ready) {
        fatal_ = true;
        return fail(wait_failure(ready.error()));
      }
      continue;
    }
    fatal_ = true;
    const OpenSslErrors errors = OpenSslErrors::take();
    HandshakeFailure failure{ssl,     code,    &errors,        &bio_,
                             &notes_, &config, verified_name_, verified_name_is_ip_};
    return fail(handshake_error(failure));
  }
  if (SSL_version(ssl) >= TLS1_3_VERSION && notes_.certificate_requested) {
    if (auto verdict = await_client_auth_verdict(ctx, deadline); !verdict) {
      fatal_ = true;
      return fail(std::move(verdict.error()));
    }
  }
  state_ =
      std::make_shared<const TLSConnectionState>(describe_connection(ssl, server_name_, notes_));
  return {};
}

Result<void> TlsStream::await_client_auth_verdict(const Context& ctx,
                                                  std::optional<net::TimePoint> deadline) {
  const net::TimePoint window_end = net::Clock::now() + kClientAuthVerdictWindow;
  const bool deadline_first = deadline && *deadline <= window_end;
  const std::optional<net::TimePoint> until = deadline_first ? deadline : window_end;
  SSL* ssl = ssl_.get();
  for (;;) {
    if (notes_.session_ticket_seen) return {};
    ERR_clear_error();
    unsigned char byte = 0;
    std::size_t peeked = 0;
    // A peek: application data the server sent first stays for the caller's read.
    const int result = SSL_peek_ex(ssl, &byte, 1, &peeked);
    if (result == 1) return {};
    const int code = SSL_get_error(ssl, result);
    if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) {
      if (notes_.session_ticket_seen) return {};
      auto ready =
          transport_->wait(code == SSL_ERROR_WANT_READ, code == SSL_ERROR_WANT_WRITE, ctx, until);
      if (ready) continue;
      // The window passed in silence: take the certificate as accepted.
      if (ready.error().code() == ErrorCode::timeout && !deadline_first) return {};
      return fail(wait_failure(ready.error()));
    }
    if (code == SSL_ERROR_ZERO_RETURN) {
      // close_notify right after the handshake: the stream's reads report the end.
      read_eof_ = true;
      return {};
    }
    const OpenSslErrors errors = OpenSslErrors::take();
    if (code == SSL_ERROR_SYSCALL && bio_.error) return fail(wait_failure(*bio_.error));
    Error error = post_handshake_error(errors, notes_, ssl, "tls handshake");
    if (error.tls_kind() == "protocol" && bio_.eof) {
      error = Error(ErrorCode::tls,
                    "tls: the server closed the connection right after the handshake, without an "
                    "alert (client certificate refused?)");
      error.with_tls_kind("handshake").with_op("tls handshake");
    }
    error.with_addr(transport_->remote_addr());
    return fail(std::move(error));
  }
}

Result<std::unique_ptr<net::Stream>> handshake(std::unique_ptr<net::Stream> transport,
                                               const ClientConfig& config,
                                               const HandshakeParams& params, const Context& ctx,
                                               const ClientTrace* trace) {
  const std::string& name =
      config.server_name_override().empty() ? params.host : config.server_name_override();
  if (normalized_host(name).empty()) {
    throw std::invalid_argument("tls::handshake: no host name to verify (empty host)");
  }
  auto stream = std::make_unique<TlsStream>(std::move(transport));
  call_hook(trace, &ClientTrace::tls_handshake_start);
  auto connected = stream->connect(config, params, ctx);
  if (!connected) {
    stream->close();
    const TLSConnectionState empty;
    const Error& error = connected.error();
    call_hook(trace, &ClientTrace::tls_handshake_done, empty, &error);
    return fail(std::move(connected.error()));
  }
  call_hook(trace, &ClientTrace::tls_handshake_done, *stream->tls(),
            static_cast<const Error*>(nullptr));
  return std::unique_ptr<net::Stream>(std::move(stream));
}

}  // namespace httptrace::tls
