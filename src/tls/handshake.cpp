// The client handshake: SNI, verification targets, session resumption, the SSL_connect steps
// (ClientHandshake, never waiting), the hooks around them, and the blocking tls::handshake()
// that waits through the transport (deadline, cancellation, handshake timeout) between steps.

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <stdexcept>

#include "tls/client_handshake.hpp"
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

Result<TlsStream::Progress> TlsStream::connect_step(const ClientConfig& config) {
  SSL* ssl = ssl_.get();
  ERR_clear_error();
  const int result = SSL_connect(ssl);
  if (result == 1) {
    if (SSL_version(ssl) >= TLS1_3_VERSION && notes_.certificate_requested) return verdict_step();
    return Progress::done;
  }
  const int code = SSL_get_error(ssl, result);
  if (code == SSL_ERROR_WANT_READ) return Progress::want_read;
  if (code == SSL_ERROR_WANT_WRITE) return Progress::want_write;
  fatal_ = true;
  const OpenSslErrors errors = OpenSslErrors::take();
  HandshakeFailure failure{ssl,     code,    &errors,        &bio_,
                           &notes_, &config, verified_name_, verified_name_is_ip_};
  return fail(handshake_error(failure));
}

Result<TlsStream::Progress> TlsStream::verdict_step() {
  SSL* ssl = ssl_.get();
  if (notes_.session_ticket_seen) return Progress::done;
  ERR_clear_error();
  unsigned char byte = 0;
  std::size_t peeked = 0;
  // A peek: application data the server sent first stays for the caller's read.
  const int result = SSL_peek_ex(ssl, &byte, 1, &peeked);
  if (result == 1) return Progress::done;
  const int code = SSL_get_error(ssl, result);
  if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) {
    if (notes_.session_ticket_seen) return Progress::done;
    return code == SSL_ERROR_WANT_READ ? Progress::want_read : Progress::want_write;
  }
  if (code == SSL_ERROR_ZERO_RETURN) {
    // close_notify right after the handshake: the stream's reads report the end.
    read_eof_ = true;
    return Progress::done;
  }
  fatal_ = true;
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

void TlsStream::describe() {
  state_ = std::make_shared<const TLSConnectionState>(
      describe_connection(ssl_.get(), server_name_, notes_));
}

ClientHandshake::ClientHandshake(std::unique_ptr<net::Stream> transport, const ClientConfig& config,
                                 const HandshakeParams& params, const ClientTrace* trace)
    : config_(config), trace_(trace) {
  const std::string& name =
      config.server_name_override().empty() ? params.host : config.server_name_override();
  if (normalized_host(name).empty()) {
    throw std::invalid_argument("tls::handshake: no host name to verify (empty host)");
  }
  stream_ = std::make_unique<TlsStream>(std::move(transport));
  if (params.timeout > 0ns) deadline_ = net::Clock::now() + params.timeout;
  call_hook(trace_, &ClientTrace::tls_handshake_start);
  if (auto prepared = stream_->prepare(config, params); !prepared) {
    stream_->fatal_ = true;
    fail_with(std::move(prepared.error()));
  }
}

ClientHandshake::~ClientHandshake() = default;

int ClientHandshake::fd() const noexcept {
  return stream_ ? stream_->fd() : -1;
}

net::Stream& ClientHandshake::transport() noexcept {
  return *stream_->transport_;
}

std::optional<net::TimePoint> ClientHandshake::wake_at() const noexcept {
  if (status_ == Status::done || status_ == Status::failed) return std::nullopt;
  return net::earliest(deadline_, window_end_);
}

ClientHandshake::Status ClientHandshake::step() {
  if (status_ == Status::done || status_ == Status::failed) return status_;
  Result<TlsStream::Progress> progress = TlsStream::Progress::done;
  if (phase_ == Phase::connecting) {
    progress = stream_->connect_step(config_);
    // A successful SSL_connect that must wait for the client-certificate verdict.
    if (progress && *progress != TlsStream::Progress::done &&
        SSL_is_init_finished(stream_->ssl_.get())) {
      phase_ = Phase::verdict;
      window_end_ = net::Clock::now() + kClientAuthVerdictWindow;
    }
  } else {
    progress = stream_->verdict_step();
  }
  if (!progress) return fail_with(std::move(progress.error()));
  switch (*progress) {
    case TlsStream::Progress::want_read:
      return status_ = Status::want_read;
    case TlsStream::Progress::want_write:
      return status_ = Status::want_write;
    case TlsStream::Progress::done:
      break;
  }
  return succeed();
}

ClientHandshake::Status ClientHandshake::expire() {
  if (status_ == Status::done || status_ == Status::failed) return status_;
  // The window passed in silence: take the certificate as accepted.
  if (window_end_ && (!deadline_ || *window_end_ < *deadline_)) return succeed();
  return abort(Error(ErrorCode::timeout, "i/o timeout"));
}

ClientHandshake::Status ClientHandshake::abort(const Error& why) {
  if (status_ == Status::done || status_ == Status::failed) return status_;
  stream_->fatal_ = true;
  return fail_with(stream_->wait_failure(why));
}

ClientHandshake::Status ClientHandshake::succeed() {
  phase_ = Phase::finished;
  stream_->describe();
  status_ = Status::done;
  call_hook(trace_, &ClientTrace::tls_handshake_done, *stream_->tls(),
            static_cast<const Error*>(nullptr));
  return status_;
}

ClientHandshake::Status ClientHandshake::fail_with(Error error) {
  phase_ = Phase::finished;
  status_ = Status::failed;
  error_ = std::move(error);
  stream_->close();
  const TLSConnectionState empty;
  call_hook(trace_, &ClientTrace::tls_handshake_done, empty, &*error_);
  return status_;
}

std::unique_ptr<net::Stream> ClientHandshake::take_stream() {
  return std::unique_ptr<net::Stream>(std::move(stream_));
}

Result<std::unique_ptr<net::Stream>> handshake(std::unique_ptr<net::Stream> transport,
                                               const ClientConfig& config,
                                               const HandshakeParams& params, const Context& ctx,
                                               const ClientTrace* trace) {
  ClientHandshake hs(std::move(transport), config, params, trace);
  if (const Error* done = ctx.err(); done != nullptr) hs.abort(*done);
  for (;;) {
    const ClientHandshake::Status status = hs.step();
    if (status == ClientHandshake::Status::done) return hs.take_stream();
    if (status == ClientHandshake::Status::failed) return fail(hs.error());
    auto ready =
        hs.transport().wait(status == ClientHandshake::Status::want_read,
                            status == ClientHandshake::Status::want_write, ctx, hs.wake_at());
    if (ready) continue;
    if (ready.error().code() == ErrorCode::timeout) {
      hs.expire();
    } else {
      hs.abort(ready.error());
    }
  }
}

}  // namespace httptrace::tls
