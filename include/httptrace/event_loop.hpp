#pragma once
// EventLoop: many concurrent HTTP/1.1 requests driven by one thread — the non-blocking twin of
// Transport. It speaks the same codec with the same framing, connection reuse, retry rules and
// errors, and fires the same ClientTrace hooks, in the order things happen; only the waiting
// differs: every socket of every request is polled together (epoll), so one thread keeps
// hundreds of connections busy where the blocking API needs a thread each.
//
//   httptrace::EventLoop loop(options);
//   for (int i = 0; i < 100; ++i) {
//     loop.submit(request, [](httptrace::EventLoop::Completion& done) {
//       if (done.response) std::printf("%d, %llu bytes\n", done.response->status_code(),
//                                      (unsigned long long)done.body_bytes);
//     });
//   }
//   loop.run();  // returns once all 100 have completed
//
// Threads. The thread inside run() or run_once() is the loop thread; one at a time. submit(),
// stop(), in_flight() and pool_stats() may be called from any thread (submit() from another
// thread wakes the loop). Every hook of a loop request, the RoundTripObserver notifications
// behind Timeline::attach, and the completion callback run on the loop thread, synchronously,
// in the order things happen — put_idle_conn included: it fires when the loop reaches the end
// of the body, just before the callback. A hook or callback that blocks stalls every request of
// the loop. Callbacks may call submit() and stop(), never run() or run_once().
//
// Differences from Transport + Client, by design or not yet done:
// - Redirects are not followed (a Client concern): a 3xx is the completion's response.
// - Proxies are refused with ErrorCode::proxy ("not supported by EventLoop yet; use Client")
//   when TransportOptions::proxy picks one for a request (the environment's proxy never
//   applies to loopback targets).
// - HTTP/1.1 only: TLS ALPN never offers "h2" (force_attempt_http2 and http2_prior_knowledge
//   are ignored; "h2" is dropped from TlsOptions::alpn), so an HTTP/2 server answers HTTP/1.1.
// - Host names are resolved with the options' resolver on the loop thread, blocking it for the
//   lookup (the keep-alive pool makes lookups rare); IP literals and resolve_overrides need
//   none. Addresses are tried one after another in the resolver's order, each with its share
//   of dial_timeout — no Happy Eyeballs race between families (fallback_delay is unused).
// - A streaming request body (RequestBody::from_reader) is read on the loop thread.
// - The response trailer is not kept (Completion has the body only).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "httptrace/error.hpp"
#include "httptrace/request.hpp"
#include "httptrace/response.hpp"
#include "httptrace/transport.hpp"

namespace httptrace {

// Per-request choices for EventLoop::submit().
struct SubmitOptions {
  // Keep the response body in Completion::body; otherwise it is counted and discarded.
  bool keep_body = false;
  // The whole exchange, from submit() to the end of the body (ClientOptions::timeout's
  // meaning): ErrorCode::deadline_exceeded when it passes. 0 = none. A loop timer, so it costs
  // less than a with_timeout() context per request; the context's own deadline applies too.
  std::chrono::nanoseconds timeout{0};
};

class EventLoop {
 public:
  // A finished request: the response head and what became of its body.
  struct Completion {
    // The response head (status, header, TLS state, the request) — its body() is empty, the
    // body having been read by the loop — or why the request failed. A failure after the head
    // (the body cut short, a deadline while reading it) is an error here too; body_bytes then
    // counts what did arrive.
    Result<Response> response;
    // Body bytes delivered (after transparent gzip decoding).
    uint64_t body_bytes = 0;
    // The body, with SubmitOptions::keep_body; empty otherwise.
    std::string body;
  };
  // Runs on the loop thread once per submitted request, after every hook of it. It may move
  // from the Completion.
  using Callback = std::function<void(Completion&)>;

  // Takes the Transport's options (default-constructed = Go's DefaultTransport values) and
  // keeps its own keep-alive pool under them: LIFO idle connections, max_idle_conns(_per_host),
  // max_conns_per_host (requests beyond it wait for a connection or a slot, in order),
  // idle_conn_timeout, dead idle connections dropped before reuse. Throws
  // std::invalid_argument for an invalid option, as Transport does, or when epoll cannot be
  // set up.
  explicit EventLoop(TransportOptions options = {});
  // Must not run concurrently with run() / run_once(). Requests still queued or in flight
  // complete with ErrorCode::canceled ("event loop destroyed") — their callbacks run here, on
  // the destroying thread — and every connection is closed.
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Queues a request; `done` runs on the loop thread once its body has been read to the end,
  // or it failed. Thread-safe; from another thread it wakes the loop. Nothing is sent before
  // the loop thread picks the request up: the request's context deadline and cancellation (its
  // done signal is polled with the sockets), SubmitOptions::timeout, and the options' dial,
  // TLS, 100-continue and response-header timeouts all cut through every phase.
  void submit(Request request, Callback done, SubmitOptions options = {});

  // Drives every request until none is queued or in flight, or stop() was called; the calling
  // thread becomes the loop thread. Returns the number of requests completed.
  std::size_t run();
  // One turn: starts queued requests, handles what is ready, waiting up to `timeout` for
  // something to happen (0 = not at all). Returns the number of requests completed.
  std::size_t run_once(std::chrono::nanoseconds timeout);
  // Makes run() return after its current turn (and a run_once() waiting now return early).
  // Thread-safe; in-flight requests stay in flight.
  void stop();

  // Requests queued or in flight (submitted and not yet completed). Thread-safe.
  std::size_t in_flight() const;
  // A snapshot of the loop's pool. Thread-safe.
  PoolStats pool_stats() const;
  // Closes every idle connection (those in use are closed instead of pooled when their
  // exchange ends, and put_idle_conn reports it, as Transport does). Thread-safe: from
  // another thread it takes effect on the loop thread's next turn.
  void close_idle_connections();
  const TransportOptions& options() const noexcept;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace httptrace
