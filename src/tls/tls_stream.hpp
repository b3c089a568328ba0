#pragma once
// TLS client connections (OpenSSL 3.0) over any net::Stream — TCP, a proxy tunnel, or another
// TLS layer (an https proxy) — so a connection stack is TCP → tunnel → TLS as DESIGN.md says.
//
//   auto config = tls::ClientConfig::make(options.tls, {"http/1.1"});
//   auto stream = tls::handshake(std::move(tcp), **config, {.host = "example.com", .port = 443},
//                                ctx, trace);
//
// tls::handshake() blocks its thread; ClientHandshake (client_handshake.hpp) is the same
// handshake as a state machine for event loops.
//
// The TLS stream is used by one thread at a time (the Transport hands connections over under
// its lock); its ClientConfig may be shared by any number of threads.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "httptrace/context.hpp"
#include "httptrace/error.hpp"
#include "httptrace/trace.hpp"
#include "net/stream.hpp"
#include "tls/client_config.hpp"
#include "tls/connection_notes.hpp"
#include "tls/openssl_handles.hpp"
#include "tls/stream_bio.hpp"

namespace httptrace::tls {

struct HandshakeParams {
  // The URL's hostname (brackets, an IPv6 zone and a trailing dot are ignored): the SNI sent
  // (none for an IP literal, RFC 6066 §3) and the name or IP the certificate must carry in its
  // subjectAltName — unless ClientConfig's server_name override replaces both.
  std::string host;
  // The target's port: with `host`, the session-cache key "host:port".
  uint16_t port = 0;
  // TLSHandshakeTimeout: from the start of the handshake; <= 0 = none.
  std::chrono::nanoseconds timeout{10'000'000'000};
};

// Runs the client handshake over `transport`, firing tls_handshake_start and then
// tls_handshake_done exactly once each, on the calling thread: the full state on success; an
// empty state and the error on failure (trace-semantics §2). Chain and name verification
// complete before this returns, so no application byte is ever written to an unverified peer
// (bad-inputs I54).
//
// TLS 1.3 and client certificates: a TLS 1.3 server judges the client's certificate only after
// the client's Finished, when SSL_connect has already succeeded. So when the server asked for a
// certificate, this waits for the server's first post-handshake record (its session tickets, or
// the refusing alert) for at most 1 s, or less when the handshake deadline comes first: a refusal
// then fails the handshake with tls_kind "certificate_required" (none sent) or "handshake"
// (rejected). A refusal arriving later still surfaces, with the same kinds, from the stream's first
// read.
//
// Errors: ErrorCode::tls with tls_kind (handshake_error.hpp); ErrorCode::timeout, op
// "tls handshake", "net/http: TLS handshake timeout" when params.timeout passes; the context's
// canceled / deadline_exceeded; the transport's own failures (a reset, say). On failure the
// transport is closed. Throws std::invalid_argument when there is no name to verify (empty
// host and no server_name override).
[[nodiscard]] Result<std::unique_ptr<net::Stream>> handshake(std::unique_ptr<net::Stream> transport,
                                                             const ClientConfig& config,
                                                             const HandshakeParams& params,
                                                             const Context& ctx,
                                                             const ClientTrace* trace);

// The Stream handshake() returns.
//
// Reads: 0 only after the server's close_notify. A close without close_notify fails with
// ErrorCode::body_truncated (bad-inputs 18, rule 12: a TLS body is complete only with
// close_notify) — SSL_OP_IGNORE_UNEXPECTED_EOF is deliberately not set. Failures are sticky.
// Waits follow what OpenSSL last asked for: a read may need the socket writable (a KeyUpdate
// reply) and a write readable.
class TlsStream final : public net::Stream {
 public:
  explicit TlsStream(std::unique_ptr<net::Stream> transport);
  ~TlsStream() override;
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  Result<std::size_t> try_read(std::span<std::byte> buf) override;
  Result<std::size_t> try_write(std::span<const net::ConstBuffer> parts) override;
  Result<net::Readiness> wait(bool want_read, bool want_write, const Context& ctx,
                              std::optional<net::TimePoint> op_deadline) override;
  // Decrypted bytes wait in OpenSSL (SSL_pending), or the transport holds bytes. Not
  // SSL_has_pending: a partial record would report input that cannot be read yet, and a reader
  // trusting it would spin instead of polling.
  bool has_buffered_input() const noexcept override;
  // For a pooled connection: the socket turning readable means either a post-handshake message
  // (a TLS 1.3 NewSessionTicket or KeyUpdate — processed here, the connection stays usable) or
  // data, EOF or close_notify (it is dead).
  bool idle_alive() noexcept override;

  int fd() const noexcept override { return transport_->fd(); }
  // Sends close_notify if the socket takes it at once (never waits), then closes the transport.
  void close() noexcept override;
  const TLSConnectionState* tls() const noexcept override { return state_.get(); }
  std::shared_ptr<const TLSConnectionState> shared_tls() const noexcept override { return state_; }
  const std::string& local_addr() const noexcept override { return transport_->local_addr(); }
  const std::string& remote_addr() const noexcept override { return transport_->remote_addr(); }

 private:
  // The handshake proper is driven by ClientHandshake (client_handshake.hpp).
  friend class ClientHandshake;
  enum class Want : uint8_t { read, write };
  // How far one step of the handshake got without waiting.
  enum class Progress : uint8_t { want_read, want_write, done };

  Result<void> prepare(const ClientConfig& config, const HandshakeParams& params);
  // One SSL_connect round.
  Result<Progress> connect_step(const ClientConfig& config);
  // TLS 1.3 with a requested client certificate: one look for the server's verdict (its
  // session tickets, or the refusing alert) without consuming application data.
  Result<Progress> verdict_step();
  void describe();
  Error wait_failure(const Error& error) const;
  Error io_failure(int ssl_error, const char* op);

  std::unique_ptr<net::Stream> transport_;
  BioTarget bio_;
  ConnectionNotes notes_;
  // Declared after what its callbacks and BIO point to, so it is freed first.
  SslPtr ssl_;
  std::string verified_name_;
  bool verified_name_is_ip_ = false;
  std::string server_name_;  // the SNI sent
  std::shared_ptr<const TLSConnectionState> state_;
  std::vector<std::byte> scratch_;  // small parts gathered into one record
  std::optional<Error> read_failure_;
  std::optional<Error> write_failure_;
  Want read_want_ = Want::read;
  Want write_want_ = Want::write;
  bool read_eof_ = false;
  bool fatal_ = false;  // OpenSSL forbids SSL_shutdown after a fatal error
  bool closed_ = false;
};

}  // namespace httptrace::tls
