#pragma once
// Task: one submitted request as the event loop carries it through its phases — waiting for a
// connection, dialing, the TLS handshake, writing, awaiting 100-continue, reading the heads and
// the body. The non-blocking twin of one Transport::round_trip() call and its body read: the
// same AttemptState facts decide retries and maybe_sent().
//
// Tasks are recycled (the loop keeps a free list), so a warm loop allocates none per request;
// `generation` tells a recycled task from the one a stale timer or event was meant for.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http1/response_parser.hpp"
#include "httptrace/event_loop.hpp"
#include "httptrace/trace.hpp"
#include "loop/body_decoder.hpp"
#include "loop/loop_conn.hpp"
#include "net/connect_attempt.hpp"
#include "net/stream.hpp"
#include "tls/client_handshake.hpp"
#include "trace/round_trip_observer.hpp"
#include "transport/attempt.hpp"

namespace httptrace::loop {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

enum class Phase : uint8_t {
  free,               // in the free list
  queued,             // submitted, not started
  waiting_conn,       // at max_conns_per_host: waits for a connection or a slot
  connecting,         // a TCP connect in flight (`attempt`)
  handshaking,        // TLS (`handshake`)
  writing,            // the request (head, body) goes out
  awaiting_continue,  // head sent with Expect: 100-continue; the body waits
  reading_head,
  reading_body,
};

// What happens once the pending writes are flushed.
enum class AfterWrite : uint8_t { request_written, await_continue, next_body_chunk };

struct Task {
  uint32_t slot = 0;
  uint32_t generation = 0;
  Phase phase = Phase::free;

  // The submission.
  std::optional<Request> request;  // set while in use
  EventLoop::Callback done;
  SubmitOptions submit;
  const ClientTrace* trace = nullptr;
  const detail::RoundTripObserver* observer = nullptr;

  // How to reach the target (decided once per request).
  std::string key;             // the pool key
  std::string target;          // "host:port": get_conn's argument
  std::string request_target;  // the request-target
  std::string host_header;
  bool https = false;
  bool requested_gzip = false;

  // Time: the request's own end (context deadline or SubmitOptions::timeout) and the current
  // phase's bound (a connect attempt, the handshake, 100-continue, response headers).
  std::optional<TimePoint> deadline;
  bool timeout_is_submit = false;  // `deadline` is SubmitOptions::timeout's
  std::optional<TimePoint> phase_deadline;
  std::optional<TimePoint> armed_at;  // the timer entry currently armed for this task
  int cancel_fd = -1;                 // the context's done signal, watched while in flight

  // The attempt.
  AttemptState state;
  GotConnInfo info;
  std::unique_ptr<LoopConn> conn;
  bool slot_granted = false;  // a waiter was granted a slot to dial

  // Dialing.
  std::vector<IpAddress> addrs;
  std::size_t next_addr = 0;
  std::optional<TimePoint> dial_deadline;
  std::optional<net::ConnectAttempt> attempt;
  std::optional<Error> first_dial_error;
  std::unique_ptr<tls::ClientHandshake> handshake;
  int io_fd = -1;  // the dial / handshake socket registered with this task's tag

  // Writing.
  net::ConstBuffer pending[3];
  std::size_t pending_first = 0, pending_count = 0;
  AfterWrite after_write = AfterWrite::request_written;
  bool write_blocked = false;
  std::unique_ptr<detail::BodySource> source;
  std::unique_ptr<std::byte[]> chunk;  // streamed body bytes
  std::string framing;
  uint64_t body_streamed = 0;
  uint32_t exchange_serial = 0;  // bumped per exchange: tells a retry from the attempt before
  bool chunked = false;
  bool has_body = false;
  bool expect_continue = false;
  bool got_100 = false;
  bool source_done = false;

  // Reading.
  http1::ResponseHeadParser parser;
  Response response;
  std::optional<http1::StatusLine> early_final;  // a 2xx that came mid-upload
  std::size_t early_head_length = 0;
  BodyDecoder body;
  BodySink sink;
  std::string kept_body;
  bool reusable = false;
  bool observer_finished = false;
};

}  // namespace httptrace::loop
