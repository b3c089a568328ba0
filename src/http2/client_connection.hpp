#pragma once
// ClientConnection: one HTTP/2 connection over an established stream (TLS with ALPN "h2", or
// cleartext for h2c with prior knowledge), shared by any number of concurrent requests.
//
// How several blocking threads share one connection without a thread of its own. The
// connection has one mutex and one "driver" role. Every thread that needs something from the
// connection (its response head, body bytes, a free stream slot, a PING ACK) waits in await():
// if nobody drives, it takes the role and drives — writes what nghttp2 queued, reads what the
// socket holds, feeds it to nghttp2, whose callbacks sort it into the streams' states and
// signal their waiters — sleeping in the stream's own wait() with ITS Context, so its deadline
// and cancellation cut through. The other threads sleep on their per-thread eventfd (Waker)
// together with their own Context, until the driver signals news for their stream or hands
// the role over. A driver whose wait is satisfied (or whose Context ends) leaves at once and
// signals one waiter to take over; a waiter whose Context ends leaves at once too (and resets
// its stream, RST_STREAM CANCEL). A thread that queues output while the driver sleeps on the
// socket (a new request, a WINDOW_UPDATE, a reset) cancels a per-driver child Context the
// driver sleeps with (the "kick"), so it wakes and writes it; with nobody driving, that thread
// writes what fits itself. Nobody busy-waits; no thread is made per connection or request.
// This is the single-flight driver hand-over of src/net/single_flight.hpp, applied to a
// connection. We chose it over one I/O thread per connection because (a) a lone request (the
// common case) then costs no hand-off between threads in either direction — the caller does
// its own I/O; (b) every sleep honours the Context of the thread that is actually waiting, with
// no extra machinery; (c) the library owns no long-lived threads to stop, join or fork around;
// and (d) OpenSSL forbids concurrent SSL_read/SSL_write on one connection, so an I/O thread
// would serialise through one lock anyway. The price: an idle connection with nobody waiting
// reads nothing — PINGs, GOAWAY and a close are noticed at the next use (check_idle(), ping()).
//
// Hooks (trace-semantics "Our decisions"): nghttp2's callbacks only record what happened, per
// stream, in order; the thread that called round_trip() fires wrote_header_field …
// wrote_request, got_first_response_byte, got_1xx_response and got_100_continue from that
// record before round_trip() returns. get_conn / got_conn are the transport's (begin_use()
// gives got_conn's facts); put_idle_conn never fires for HTTP/2.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http2/session.hpp"
#include "http2/stream_state.hpp"
#include "http2/waker.hpp"
#include "httptrace/context.hpp"
#include "httptrace/error.hpp"
#include "httptrace/request.hpp"
#include "httptrace/response.hpp"
#include "httptrace/trace.hpp"
#include "net/stream.hpp"

namespace httptrace::http2 {

using namespace std::chrono_literals;

struct ConnectionOptions {
  // TransportOptions::expect_continue_timeout. HTTP/2 waits for 100 only when it is non-zero
  // (trace-semantics §2 Wait100Continue).
  std::chrono::nanoseconds expect_continue_timeout{1s};
  // TransportOptions::response_header_timeout: from the end of the request; 0 = none.
  std::chrono::nanoseconds response_header_timeout{0};
  // User-Agent when the request has none; "" = none.
  std::string default_user_agent;
  // Per stream, over every head and the trailer (Go's MaxResponseHeaderBytes, sent as
  // SETTINGS_MAX_HEADER_LIST_SIZE).
  std::size_t max_response_header_bytes = 10 << 20;
  // How long ping() waits for the ACK (Go's PingTimeout).
  std::chrono::nanoseconds ping_timeout{15s};
};

// got_conn's facts for a request on this connection (trace-semantics §2 GotConn, HTTP/2).
struct GotConnFacts {
  bool reused = false;
  bool was_idle = false;
  std::chrono::nanoseconds idle_time{0};
};

struct Waiter {
  const Waker* waker = nullptr;
  StreamState* stream = nullptr;  // null: waits for the connection (a slot, a PING ACK)
  bool signaled = false;
};

class ClientConnection final : public std::enable_shared_from_this<ClientConnection>,
                               private SessionListener {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  // Writes the connection preface and SETTINGS (waiting with `ctx`); does not wait for the
  // server's SETTINGS. Errors: the write's; ErrorCode::network if nghttp2 cannot allocate.
  // Throws std::invalid_argument for a null stream.
  [[nodiscard]] static Result<std::shared_ptr<ClientConnection>> start(
      std::unique_ptr<net::Stream> stream, ConnectionOptions options, const Context& ctx);
  ~ClientConnection() override;
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  struct RequestParams {
    const Request* request = nullptr;    // validated by the transport (check_request)
    Context ctx;                         // the request's: deadline and cancellation
    const ClientTrace* trace = nullptr;  // hooks fire on the calling thread
    bool requested_gzip = false;         // "accept-encoding: gzip" added; gunzip a gzip answer
    std::string_view authority;          // ":authority": Request::host() or the URL's host
  };

  // Opens a stream, writes the request and waits for the final response head; the body then
  // streams from the Response (a slow reader holds back only its own stream). Waits for a
  // free stream slot first when the peer's SETTINGS_MAX_CONCURRENT_STREAMS is reached.
  // Thread-safe; blocks only the calling thread.
  //
  // Errors: the context's (the stream is reset with CANCEL, the connection stays usable);
  // RST_STREAM from the peer → ErrorCode::protocol (canceled for CANCEL), "stream error: stream
  // ID N; CODE; received from peer"; a got_1xx_response Error → aborted_by_hook, "stream error:
  // stream ID N; PROTOCOL_ERROR; <its text>", that stream reset; a stream above a GOAWAY's last
  // stream id, a REFUSED_STREAM, or a request that could not start on a closing connection →
  // maybe_sent() false: nothing was processed, the caller may retry it on another connection;
  // the connection dying → connection_reset (or protocol for an HTTP/2 violation);
  // response_header_timeout → ErrorCode::timeout. A request body that does not match its length
  // → invalid_request (the stream is reset).
  [[nodiscard]] Result<Response> round_trip(const RequestParams& params);

  // got_conn's facts, and marks the connection used: reused = not its first round trip,
  // was_idle = reused with no stream open, idle_time = since it was last active (Go's
  // http2traceGotConn). Call once per request, just before round_trip.
  GotConnFacts begin_use();

  // Not closing, no GOAWAY received, no fatal error, stream ids left.
  bool usable() const;
  // usable() and fewer open streams than the peer's SETTINGS_MAX_CONCURRENT_STREAMS.
  bool has_capacity() const;
  // Streams started and not yet closed (their bodies may still be being read).
  std::size_t active_streams() const;
  std::chrono::steady_clock::time_point last_active() const;
  bool first_round_trip_done() const;
  // For a connection nobody waits on: processes, without blocking, whatever the peer sent
  // meanwhile (PING, SETTINGS, GOAWAY, a close) and returns usable().
  bool check_idle();
  // A PING round trip (health check before reusing a long-idle connection): true on the ACK.
  // No ACK within ping_timeout marks the connection dead (false); `ctx` ending returns false
  // and leaves the connection as it was.
  bool ping(const Context& ctx);
  // GOAWAY, then closes; open streams fail with connection_reset. Idempotent.
  void close();
  // Addresses and TLS state (the Conn the transport reports).
  const net::Stream& stream() const noexcept { return *stream_; }

 private:
  friend class Exchange;
  friend class Http2BodyStream;

  // A condition checked under mu_, without allocating.
  class Condition {
   public:
    template <class F>
    Condition(F& f)
        : object_(&f), call_([](void* object) { return (*static_cast<F*>(object))(); }) {}
    bool operator()() const { return call_(object_); }

   private:
    void* object_;
    bool (*call_)(void*);
  };

  ClientConnection(std::unique_ptr<net::Stream> stream, ConnectionOptions options);

  // SessionListener (inside Session calls, under mu_).
  void stream_news(StreamState& stream) override;
  void stream_closed(StreamState& stream) override;
  void connection_news() override;

  // The heart: blocks until `done` holds (or the connection dies), driving the I/O when
  // nobody else does. Errors: ctx's, or ErrorCode::timeout when `deadline` passes.
  [[nodiscard]] Result<void> await(std::unique_lock<std::mutex>& lock, const Context& ctx,
                                   std::optional<TimePoint> deadline, StreamState* stream,
                                   Condition done);
  // One step of driving: write, read and feed, or sleep until one of them can go on.
  [[nodiscard]] Result<void> drive_once(std::unique_lock<std::mutex>& lock, const Context& ctx,
                                        std::optional<TimePoint> deadline);
  // Writes queued output until done (true) or the socket is full (false).
  [[nodiscard]] Result<bool> flush_locked();
  // Reads what the socket holds now and feeds it; false when nothing was there.
  [[nodiscard]] Result<bool> read_available_locked();
  // Output was queued by a thread that is not driving: wake the driver or write it now.
  void output_queued_locked();
  void signal_locked(Waiter& waiter);
  void hand_over_locked();
  void fail_locked(Error cause);
  Error stream_failure(const StreamState& stream, const Error& cause) const;
  // Why the connection ended when nghttp2 has nothing more to read or write.
  Error ended_error() const;
  // The owner gives up on `stream` (context ended, hook error, body closed).
  void cancel_stream_locked(StreamState& stream, Error why, uint32_t code);
  bool usable_locked() const;
  bool has_capacity_locked() const;
  Error unusable_error() const;

  // The response body's side.
  [[nodiscard]] Result<std::size_t> read_body(StreamState& stream, std::span<std::byte> buf,
                                              const Context& ctx);
  void close_body(StreamState& stream) noexcept;

  const ConnectionOptions options_;
  mutable std::mutex mu_;
  std::unique_ptr<net::Stream> stream_;
  std::unique_ptr<Session> session_;
  std::vector<std::byte> out_;  // bytes nghttp2 produced, not yet written
  std::size_t out_begin_ = 0;
  std::vector<std::byte> in_;
  bool driven_ = false;           // a thread holds the driver role
  bool driver_sleeping_ = false;  // ... and sleeps in the stream's wait, mu_ released
  std::optional<std::pair<Context, CancelFunc>> kick_;
  std::vector<Waiter*> waiters_;
  std::optional<Error> fatal_;
  bool closing_ = false;
  bool stream_closed_ = false;
  std::size_t active_ = 0;
  bool used_ = false;
  TimePoint last_active_;
  uint64_t last_ping_ = 0;
};

}  // namespace httptrace::http2
