#include "http2/body_stream.hpp"

#include "http2/client_connection.hpp"

namespace httptrace::http2 {

// --- The connection's side -------------------------------------------------------------------

Result<std::size_t> ClientConnection::read_body(StreamState& stream, std::span<std::byte> buf,
                                                const Context& ctx) {
  std::unique_lock lock(mu_);
  auto ready = [&] {
    return !stream.data.empty() || stream.remote_ended || stream.error || stream.closed;
  };
  auto waited = await(lock, ctx, std::nullopt, &stream, ready);
  if (!stream.data.empty()) {
    const std::size_t n = stream.data.take(buf);
    // The window reopens only now: an unread body holds back its own stream only.
    if (!fatal_) {
      session_->consume(stream, n);
      output_queued_locked();
    }
    return n;
  }
  if (!waited) {
    Error error = std::move(waited.error());
    cancel_stream_locked(stream, error, NGHTTP2_CANCEL);
    return fail(std::move(error));
  }
  if (stream.error) return fail(*stream.error);
  if (stream.remote_ended) return std::size_t{0};
  if (fatal_) return fail(stream_failure(stream, *fatal_));
  Error error(ErrorCode::protocol,
              "http2: stream " + std::to_string(stream.id) + " closed before its end");
  return fail(std::move(error.with_op("read body")));
}

void ClientConnection::close_body(StreamState& stream) noexcept {
  std::unique_lock lock(mu_);
  stream.reading_abandoned = true;
  stream.data.clear();
  if (fatal_ || stream.closed) return;
  // Go (h2 bodyPipe close): an unread rest is cancelled; a finished response with our upload
  // cut short ends with NO_ERROR (RFC 9113 §8.1).
  session_->reset(stream, stream.remote_ended ? NGHTTP2_NO_ERROR : NGHTTP2_CANCEL);
  output_queued_locked();
}

// --- The body ------------------------------------------------------------------------------

Http2BodyStream::Http2BodyStream(std::shared_ptr<ClientConnection> conn,
                                 std::shared_ptr<StreamState> stream, Context ctx, bool gunzip)
    : conn_(std::move(conn)), stream_(std::move(stream)), ctx_(std::move(ctx)) {
  if (gunzip) gunzip_ = std::make_unique<GunzipReader>();
}

Http2BodyStream::~Http2BodyStream() {
  close();
}

void Http2BodyStream::release() noexcept {
  conn_.reset();
  stream_.reset();
  ctx_ = Context();
}

void Http2BodyStream::close() noexcept {
  if (!eof_ && !error_) error_ = Error(ErrorCode::canceled, "http2: read on closed response body");
  if (conn_) conn_->close_body(*stream_);
  release();
}

Result<std::size_t> Http2BodyStream::read(std::span<std::byte> buf) {
  if (error_) return fail(*error_);
  if (eof_ || buf.empty()) return std::size_t{0};
  auto n = gunzip_
               ? gunzip_->read(buf, [this](std::span<std::byte> coded) { return read_raw(coded); })
               : read_raw(buf);
  if (!n) {
    error_ = n.error();
    if (conn_) conn_->close_body(*stream_);
    release();
    return n;
  }
  if (*n == 0) {
    eof_ = true;
    release();
  }
  return n;
}

Result<std::size_t> Http2BodyStream::read_raw(std::span<std::byte> buf) {
  if (raw_eof_) return std::size_t{0};
  auto n = conn_->read_body(*stream_, buf, ctx_);
  if (!n) return n;
  if (*n == 0) {
    raw_eof_ = true;
    std::lock_guard lock(conn_->mu_);
    trailer_ = std::move(stream_->trailer);
  }
  return n;
}

}  // namespace httptrace::http2
