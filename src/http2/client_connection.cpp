// ClientConnection's life and its driver role: start, await/drive, failure, close, PING.
// round_trip is in exchange.cpp, the response body in body_stream.cpp.

#include "http2/client_connection.hpp"

#include <algorithm>
#include <stdexcept>

#include "http2/error_text.hpp"

namespace httptrace::http2 {
namespace {

// Output is gathered up to this much before one write (a TLS layer makes records of it).
constexpr std::size_t kOutputBatch = 64 * 1024;
constexpr std::size_t kReadBuffer = 64 * 1024;

bool is_context_error(const Error& error) {
  return error.code() == ErrorCode::canceled || error.code() == ErrorCode::deadline_exceeded;
}

}  // namespace

ClientConnection::ClientConnection(std::unique_ptr<net::Stream> stream, ConnectionOptions options)
    : options_(std::move(options)),
      stream_(std::move(stream)),
      in_(kReadBuffer),
      last_active_(Clock::now()) {}

ClientConnection::~ClientConnection() {
  // No thread can be inside: every one holds a shared_ptr while it uses the connection.
  session_.reset();
  if (!stream_closed_) stream_->close();
}

Result<std::shared_ptr<ClientConnection>> ClientConnection::start(
    std::unique_ptr<net::Stream> stream, ConnectionOptions options, const Context& ctx) {
  if (!stream) throw std::invalid_argument("http2::ClientConnection::start: null stream");
  SessionLimits limits;
  limits.max_header_list_bytes = options.max_response_header_bytes;
  std::shared_ptr<ClientConnection> conn(
      new ClientConnection(std::move(stream), std::move(options)));
  auto session = Session::make(limits, *conn);
  if (!session) return fail(std::move(session.error()));
  conn->session_ = std::move(*session);

  std::lock_guard lock(conn->mu_);
  auto taken = conn->session_->take_output(conn->out_, kOutputBatch);
  if (!taken) return fail(std::move(taken.error()));
  // The preface and SETTINGS go out now: a peer that is no HTTP/2 server fails the first
  // request, not this call, as in Go.
  auto written = conn->stream_->write(net::ConstBuffer(conn->out_.data(), conn->out_.size()), ctx);
  if (!written) {
    Error error = std::move(written.error());
    if (!is_context_error(error)) error.with_op("write").with_addr(conn->stream_->remote_addr());
    return fail(std::move(error));
  }
  conn->out_.clear();
  return conn;
}

// --- State -------------------------------------------------------------------------------

bool ClientConnection::usable_locked() const {
  return !fatal_ && !closing_ && session_->request_allowed();
}

bool ClientConnection::has_capacity_locked() const {
  return usable_locked() && active_ < session_->peer_max_concurrent_streams();
}

Error ClientConnection::unusable_error() const {
  std::string why = fatal_     ? fatal_->message()
                    : closing_ ? "it was closed"
                               : "the server sent GOAWAY";
  Error error(ErrorCode::connection_reset,
              "http2: the connection cannot take new requests: " + why);
  error.with_op("write").with_addr(stream_->remote_addr()).with_maybe_sent(false);
  return error;
}

bool ClientConnection::usable() const {
  std::lock_guard lock(mu_);
  return usable_locked();
}

bool ClientConnection::has_capacity() const {
  std::lock_guard lock(mu_);
  return has_capacity_locked();
}

std::size_t ClientConnection::active_streams() const {
  std::lock_guard lock(mu_);
  return active_;
}

std::chrono::steady_clock::time_point ClientConnection::last_active() const {
  std::lock_guard lock(mu_);
  return last_active_;
}

bool ClientConnection::first_round_trip_done() const {
  std::lock_guard lock(mu_);
  return used_;
}

GotConnFacts ClientConnection::begin_use() {
  std::lock_guard lock(mu_);
  GotConnFacts facts;
  facts.reused = used_;
  used_ = true;
  facts.was_idle = facts.reused && active_ == 0;
  if (facts.was_idle) facts.idle_time = Clock::now() - last_active_;
  return facts;
}

// --- SessionListener -----------------------------------------------------------------------

void ClientConnection::signal_locked(Waiter& waiter) {
  if (waiter.signaled) return;
  waiter.signaled = true;
  waiter.waker->signal();
}

void ClientConnection::stream_news(StreamState& stream) {
  if (stream.waiter != nullptr) signal_locked(*stream.waiter);
}

void ClientConnection::stream_closed(StreamState& stream) {
  last_active_ = Clock::now();
  if (!stream.counted) return;
  stream.counted = false;
  --active_;
  connection_news();
}

void ClientConnection::connection_news() {
  for (Waiter* waiter : waiters_) {
    if (waiter->stream == nullptr) signal_locked(*waiter);
  }
}

// --- Driving ---------------------------------------------------------------------------------

void ClientConnection::hand_over_locked() {
  // The role is vacant: someone must take it, or the waiters would sleep on a silent socket.
  if (!driven_ && !waiters_.empty()) signal_locked(*waiters_.front());
}

Result<void> ClientConnection::await(std::unique_lock<std::mutex>& lock, const Context& ctx,
                                     std::optional<TimePoint> deadline, StreamState* stream,
                                     Condition done) {
  Waiter self{&Waker::for_this_thread(), stream, false};
  bool listed = false;
  bool driving = false;
  Result<void> result;
  auto unlist = [&] {
    if (!listed) return;
    waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &self));
    if (stream != nullptr && stream->waiter == &self) stream->waiter = nullptr;
    listed = false;
  };
  for (;;) {
    if (done() || fatal_) break;
    if (const Error* err = ctx.err()) {
      result = fail(*err);
      break;
    }
    if (deadline && Clock::now() >= *deadline) {
      result = fail(ErrorCode::timeout, "i/o timeout");
      break;
    }
    if (!driving && !driven_) {
      driven_ = driving = true;
      unlist();
    }
    if (driving) {
      auto step = drive_once(lock, ctx, deadline);
      if (!step) {
        result = std::move(step);
        break;
      }
      continue;
    }
    if (!listed) {
      waiters_.push_back(&self);
      if (stream != nullptr) stream->waiter = &self;
      listed = true;
    }
    self.signaled = false;
    lock.unlock();
    auto woke = self.waker->wait(ctx, deadline);
    lock.lock();
    if (!woke && !done() && !fatal_) {
      result = std::move(woke);
      break;
    }
  }
  unlist();
  if (driving) {
    driven_ = false;
    kick_.reset();
    // The connection died while this thread drove: nobody sleeps on the socket now.
    if (fatal_ && !stream_closed_) {
      stream_closed_ = true;
      stream_->close();
    }
  }
  hand_over_locked();
  return result;
}

Result<bool> ClientConnection::flush_locked() {
  for (;;) {
    if (out_begin_ == out_.size()) {
      out_.clear();
      out_begin_ = 0;
      auto taken = session_->take_output(out_, kOutputBatch);
      if (!taken) return fail(std::move(taken.error()));
      if (out_.empty()) return true;
    }
    const net::ConstBuffer part(out_.data() + out_begin_, out_.size() - out_begin_);
    auto n = stream_->try_write(std::span<const net::ConstBuffer>(&part, 1));
    if (!n) return fail(std::move(n.error()));
    if (*n == net::kWouldBlock) return false;
    out_begin_ += *n;
  }
}

Result<bool> ClientConnection::read_available_locked() {
  auto n = stream_->try_read(in_);
  if (!n) {
    // A TLS peer closing without close_notify: for HTTP/2 that is the connection closing.
    if (n.error().code() == ErrorCode::body_truncated)
      n = std::size_t{0};
    else
      return fail(std::move(n.error()));
  }
  if (*n == net::kWouldBlock) return false;
  if (*n == 0) {
    Error error(ErrorCode::connection_reset, "http2: server closed the connection (EOF)");
    return fail(std::move(error.with_op("read")));
  }
  auto fed = session_->receive(std::span<const std::byte>(in_.data(), *n));
  if (!fed) {
    // nghttp2 queued a GOAWAY naming the violation: let it out if the socket takes it.
    (void)flush_locked();
    return fail(std::move(fed.error()));
  }
  return true;
}

Result<void> ClientConnection::drive_once(std::unique_lock<std::mutex>& lock, const Context& ctx,
                                          std::optional<TimePoint> deadline) {
  if (closing_) {
    (void)flush_locked();  // the GOAWAY, if it fits
    fail_locked(Error(ErrorCode::connection_reset, "http2: connection closed by the client"));
    return {};
  }
  auto flushed = flush_locked();
  if (!flushed) {
    fail_locked(std::move(flushed.error()));
    return {};
  }
  auto read = read_available_locked();
  if (!read) {
    fail_locked(std::move(read.error()));
    return {};
  }
  if (*read) {
    // Acknowledgements and window updates the input caused go out with no delay.
    if (auto again = flush_locked(); !again) fail_locked(std::move(again.error()));
    if (session_->connection_error()) fail_locked(*session_->connection_error());
    return {};
  }
  if (session_->finished()) {
    fail_locked(session_->connection_error() ? *session_->connection_error() : ended_error());
    return {};
  }

  if (!kick_) kick_.emplace(with_cancel(ctx));
  const Context sleep_ctx = kick_->first;
  driver_sleeping_ = true;
  lock.unlock();
  auto ready = stream_->wait(true, !*flushed, sleep_ctx, deadline);
  lock.lock();
  driver_sleeping_ = false;
  if (ready) return {};
  if (const Error* err = ctx.err()) return fail(*err);
  if (kick_ && kick_->first.is_done()) {
    kick_.reset();
    return {};
  }
  if (ready.error().code() == ErrorCode::timeout) return fail(std::move(ready.error()));
  fail_locked(std::move(ready.error()));
  return {};
}

void ClientConnection::output_queued_locked() {
  if (driven_) {
    if (driver_sleeping_ && kick_) kick_->second();
    return;
  }
  if (fatal_) return;
  auto flushed = flush_locked();
  if (!flushed) fail_locked(std::move(flushed.error()));
}

// --- Failure and close -----------------------------------------------------------------------

Error ClientConnection::ended_error() const {
  std::string text = "http2: the connection ended";
  if (const auto& goaway = session_->goaway_received()) {
    text += " (the server sent GOAWAY, " + error_code_name(goaway->error_code);
    if (!goaway->debug.empty()) text += ": " + goaway->debug;
    text += ")";
  }
  Error error(ErrorCode::connection_reset, std::move(text));
  error.with_op("read");
  return error;
}

Error ClientConnection::stream_failure(const StreamState& stream, const Error& cause) const {
  const bool protocol = cause.code() == ErrorCode::protocol;
  const std::string id = std::to_string(stream.id);
  Error error(ErrorCode::connection_reset, "");
  if (!stream.headers_sent) {
    error = Error(ErrorCode::connection_reset, "http2: the connection was lost before stream " +
                                                   id + " was sent: " + cause.message());
    error.with_op("write").with_maybe_sent(false);
  } else if (!stream.final_seen) {
    error = Error(protocol ? ErrorCode::protocol : ErrorCode::connection_reset,
                  "http2: the connection was lost awaiting the response of stream " + id + ": " +
                      cause.message());
    error.with_op("read headers").with_maybe_sent(true);
  } else {
    error = Error(protocol ? ErrorCode::protocol : ErrorCode::body_truncated,
                  "http2: the connection was lost reading the body of stream " + id + " after " +
                      std::to_string(stream.received) + " bytes: " + cause.message());
    error.with_op("read body").with_maybe_sent(true);
  }
  error.with_addr(stream_->remote_addr());
  return error;
}

void ClientConnection::fail_locked(Error cause) {
  if (fatal_) return;
  cause.with_addr(stream_->remote_addr());
  fatal_ = cause;
  std::vector<std::shared_ptr<StreamState>> open;
  open.reserve(session_->open_streams().size());
  for (const auto& [id, stream] : session_->open_streams()) open.push_back(stream);
  for (const auto& stream : open) session_->abandon(*stream, stream_failure(*stream, cause));
  for (Waiter* waiter : waiters_) signal_locked(*waiter);
  // The driver may sleep on the socket right now: it closes it when it wakes (await).
  if (driven_ && driver_sleeping_) {
    if (kick_) kick_->second();
    return;
  }
  if (!stream_closed_) {
    stream_closed_ = true;
    stream_->close();
  }
}

void ClientConnection::cancel_stream_locked(StreamState& stream, Error why, uint32_t code) {
  if (!stream.error && !stream.remote_ended) stream.error = std::move(why);
  stream.reading_abandoned = true;
  stream.abandoned = true;
  stream.data.clear();
  if (fatal_ || stream.closed) return;
  session_->reset(stream, code);
  output_queued_locked();
}

void ClientConnection::close() {
  std::unique_lock lock(mu_);
  if (fatal_ || closing_) return;
  closing_ = true;
  session_->goaway();
  if (driven_) {
    // The driver flushes the GOAWAY and fails the connection (drive_once).
    if (driver_sleeping_ && kick_) kick_->second();
    return;
  }
  (void)flush_locked();
  fail_locked(Error(ErrorCode::connection_reset, "http2: connection closed by the client"));
}

bool ClientConnection::check_idle() {
  std::unique_lock lock(mu_);
  if (driven_ || fatal_) return usable_locked();
  // A bounded number of reads: whatever arrived while idle, never more than a few buffers.
  for (int round = 0; round < 8; ++round) {
    auto flushed = flush_locked();
    if (!flushed) {
      fail_locked(std::move(flushed.error()));
      break;
    }
    auto read = read_available_locked();
    if (!read) {
      fail_locked(std::move(read.error()));
      break;
    }
    if (!*read) break;
  }
  return usable_locked();
}

bool ClientConnection::ping(const Context& ctx) {
  std::unique_lock lock(mu_);
  if (!usable_locked()) return false;
  const uint64_t payload = ++last_ping_;
  session_->ping(payload);
  output_queued_locked();
  bool acked = false;
  auto done = [&] {
    acked = acked || session_->ping_acked(payload);
    return acked;
  };
  auto waited = await(lock, ctx, Clock::now() + options_.ping_timeout, nullptr, done);
  if (acked) return true;
  if (!waited && waited.error().code() == ErrorCode::timeout) {
    // Go's closeForLostPing: a peer that does not answer a PING is gone.
    Error error(ErrorCode::connection_reset,
                "http2: no PING acknowledgement within the ping timeout");
    fail_locked(std::move(error.with_op("ping")));
  }
  return false;
}

}  // namespace httptrace::http2
