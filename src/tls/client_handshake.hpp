#pragma once
// ClientHandshake: the TLS client handshake as a state machine that never waits, for callers
// that own their waiting — an event loop polling many sockets — and the engine under the
// blocking tls::handshake() (tls_stream.hpp), which only adds the waits.
//
//   tls::ClientHandshake hs(std::move(tcp), *config, params, trace);  // tls_handshake_start
//   for (auto s = hs.step(); s == want_read || s == want_write; s = hs.step()) {
//     ... wait until hs.fd() is readable / writable (s), or hs.wake_at() passes: hs.expire()
//   }
//   if (hs.status() == done) stream = hs.take_stream(); else error = hs.error();
//
// Hooks: tls_handshake_start fires in the constructor, tls_handshake_done exactly once, inside
// the call (step, expire or abort) that ends the handshake, on the calling thread — the full
// state on success, an empty state and the error on failure (trace-semantics §2). Chain and
// name verification complete before `done`, so no application byte is ever written to an
// unverified peer (bad-inputs I54). The TLS 1.3 client-certificate verdict window (see
// tls::handshake) is part of the handshake here too: wake_at() covers it.
//
// One thread at a time. The ClientConfig and the trace must outlive the handshake.

#include <memory>
#include <optional>

#include "httptrace/error.hpp"
#include "httptrace/trace.hpp"
#include "net/stream.hpp"
#include "tls/client_config.hpp"

namespace httptrace::tls {

struct HandshakeParams;
class TlsStream;

class ClientHandshake {
 public:
  enum class Status : uint8_t {
    want_read,   // call step() again once fd() is readable
    want_write,  // ... once fd() is writable
    done,        // take_stream()
    failed,      // error(); the transport is closed
  };

  // Prepares the connection (SNI, verification name, a cached session to resume) and fires
  // tls_handshake_start. Throws std::invalid_argument when there is no name to verify (empty
  // host and no server_name override). A setup failure shows as `failed` from the first step().
  ClientHandshake(std::unique_ptr<net::Stream> transport, const ClientConfig& config,
                  const HandshakeParams& params, const ClientTrace* trace);
  ~ClientHandshake();
  ClientHandshake(const ClientHandshake&) = delete;
  ClientHandshake& operator=(const ClientHandshake&) = delete;

  // Advances as far as the socket allows without waiting. Idempotent once done or failed.
  Status step();
  // When the caller must call expire() if nothing else ended the handshake first: the handshake
  // timeout (HandshakeParams::timeout, from construction), or the end of the client-certificate
  // verdict window when that comes first. nullopt = no bound.
  std::optional<net::TimePoint> wake_at() const noexcept;
  // wake_at() has passed: fails with ErrorCode::timeout ("net/http: TLS handshake timeout"), or
  // — when the verdict window ended first — completes, the client certificate taken as accepted.
  Status expire();
  // Ends the handshake with `why` (the context ended, a wait failed): failed, the error being
  // `why` with op "tls handshake" and the peer's address filled in where missing.
  Status abort(const Error& why);

  Status status() const noexcept { return status_; }
  // The failure, once status() is failed.
  const Error& error() const noexcept { return *error_; }
  // The socket to wait on.
  int fd() const noexcept;
  // The stream underneath (for a blocking caller's waits).
  net::Stream& transport() noexcept;
  // The TLS stream, once status() is done; the handshake keeps nothing.
  std::unique_ptr<net::Stream> take_stream();

 private:
  enum class Phase : uint8_t { connecting, verdict, finished };

  Status succeed();
  Status fail_with(Error error);

  std::unique_ptr<TlsStream> stream_;
  const ClientConfig& config_;
  const ClientTrace* trace_;
  std::optional<net::TimePoint> deadline_;    // the handshake timeout
  std::optional<net::TimePoint> window_end_;  // the verdict window, once in that phase
  std::optional<Error> error_;
  Phase phase_ = Phase::connecting;
  Status status_ = Status::want_write;
};

}  // namespace httptrace::tls
