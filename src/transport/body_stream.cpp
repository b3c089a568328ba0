#include "transport/body_stream.hpp"

#include <algorithm>
#include <cstring>
#include <string>

namespace httptrace {

[[gnu::hot]] void finish_exchange(Pool& pool, std::shared_ptr<PersistConn> conn, bool reusable,
                                  const ClientTrace* trace) {
  // Bytes after the end of the response (a body longer than announced, a stray response) must
  // never be read as the next response (bad-inputs B12, RFC rule 11).
  if (!reusable || !conn->buffer().empty()) return;  // `conn` closes as it goes out of scope
  Pool::PutResult result = pool.put(std::move(conn));
  switch (result.outcome) {
    case Pool::PutOutcome::pooled:
    case Pool::PutOutcome::handed_over:
      call_hook(trace, &ClientTrace::put_idle_conn, nullptr);
      break;
    case Pool::PutOutcome::refused:
      call_hook(trace, &ClientTrace::put_idle_conn, &*result.error);
      break;
    case Pool::PutOutcome::not_pooled:
      break;
  }
}

Http1BodyStream::Http1BodyStream(Setup setup) { reset(std::move(setup)); }

[[gnu::hot]] void Http1BodyStream::reset(Setup setup) {
  pool_ = std::move(setup.pool);
  conn_ = std::move(setup.conn);
  plan_ = setup.plan;
  ctx_ = std::move(setup.ctx);
  trace_ = context_client_trace(ctx_);
  reusable_ = setup.reusable;
  remaining_ = plan_.kind == http1::BodyPlan::Kind::content_length ? plan_.length : 0;
  received_ = 0;
  pending_chunk_data_ = 0;
  framing_after_data_ = 0;
  chunked_.reset();
  if (plan_.kind == http1::BodyPlan::Kind::chunked) {
    chunked_.emplace(setup.limits, setup.head_bytes_used, setup.head_fields_used);
  }
  gunzip_.reset();
  if (setup.gunzip) gunzip_ = std::make_unique<GunzipReader>();
  framed_eof_ = false;
  eof_ = false;
  error_.reset();
  trailer_.clear();
  lent_.store(true, std::memory_order_relaxed);  // published with the Response that carries it
}

Http1BodyStream::~Http1BodyStream() { abandon(); }

const Header* Http1BodyStream::trailer() const noexcept { return eof_ ? &trailer_ : nullptr; }

[[gnu::hot]] void Http1BodyStream::close() noexcept {
  if (!eof_ && !error_) error_ = Error(ErrorCode::canceled, "http: read on closed response body");
  abandon();
}

[[gnu::hot]] void Http1BodyStream::abandon() noexcept {
  // Before EOF the connection cannot be reused: unread bytes are on the wire (bad-inputs E38).
  conn_.reset();
  release();
}

[[gnu::hot]] void Http1BodyStream::finish() {
  if (chunked_) trailer_ = std::move(chunked_->trailer());
  if (conn_) finish_exchange(*pool_, std::move(conn_), reusable_, trace_);
  release();
}

[[gnu::hot]] void Http1BodyStream::release() noexcept {
  // A recycled stream lives on in its connection (PersistConn::spare_body), which may sit in
  // the pool: holding the pool or the request's context from there would keep them alive.
  pool_.reset();
  ctx_ = Context();
  trace_ = nullptr;
}

Error Http1BodyStream::read_error(Error error) {
  if (error.code() != ErrorCode::canceled && error.code() != ErrorCode::deadline_exceeded) {
    if (error.op().empty()) error.with_op("read body");
  }
  return error;
}

Error Http1BodyStream::truncated(std::string message) {
  Error error(ErrorCode::body_truncated, std::move(message));
  error.with_op("read body");
  if (conn_) error.with_addr(conn_->stream().remote_addr());
  return error;
}

[[gnu::hot]] Result<std::size_t> Http1BodyStream::read(std::span<std::byte> buf) {
  if (error_) return fail(*error_);
  if (eof_ || buf.empty()) return std::size_t{0};
  auto n = gunzip_ ? gunzip_->read(buf, [this](std::span<std::byte> coded) { return read_framed(coded); })
                   : read_framed(buf);
  if (!n) {
    error_ = n.error();
    abandon();
    return n;
  }
  if (*n == 0) eof_ = true;
  return n;
}

Result<std::size_t> Http1BodyStream::fill() {
  auto space = conn_->buffer().space(1);
  auto n = conn_->stream().read(space, ctx_);
  if (!n) return fail(read_error(std::move(n.error())));
  conn_->buffer().commit(*n);
  return n;
}

[[gnu::hot]] Result<std::size_t> Http1BodyStream::read_framed(std::span<std::byte> buf) {
  if (framed_eof_) return std::size_t{0};
  switch (plan_.kind) {
    case http1::BodyPlan::Kind::content_length:
      return read_content_length(buf);
    case http1::BodyPlan::Kind::chunked:
      return read_chunked(buf);
    case http1::BodyPlan::Kind::until_close:
      return read_until_close(buf);
    case http1::BodyPlan::Kind::none:
      break;
  }
  framed_eof_ = true;
  finish();
  return std::size_t{0};
}

[[gnu::hot]] Result<std::size_t> Http1BodyStream::read_content_length(std::span<std::byte> buf) {
  if (remaining_ == 0) {
    framed_eof_ = true;
    finish();
    return std::size_t{0};
  }
  buf = buf.first(static_cast<std::size_t>(std::min<uint64_t>(buf.size(), remaining_)));
  ReadBuffer& buffer = conn_->buffer();
  std::size_t n = 0;
  if (!buffer.empty()) {
    n = buffer.take(buf);
  } else if (buf.size() >= ReadBuffer::kDefaultCapacity) {
    // A large read goes straight into the caller's buffer: no copy (spec/performance.md P3).
    auto got = conn_->stream().read(buf, ctx_);
    if (!got) return fail(read_error(std::move(got.error())));
    n = *got;
    if (n == 0) {
      return fail(truncated("unexpected EOF: the body ended after " + std::to_string(received_) + " of " +
                            std::to_string(plan_.length) + " bytes"));
    }
  } else {
    auto got = fill();
    if (!got) return fail(std::move(got.error()));
    if (*got == 0) {
      return fail(truncated("unexpected EOF: the body ended after " + std::to_string(received_) + " of " +
                            std::to_string(plan_.length) + " bytes"));
    }
    n = buffer.take(buf);
  }
  remaining_ -= n;
  received_ += n;
  // Go hands the connection back inside the read that delivers the last byte.
  if (remaining_ == 0) {
    framed_eof_ = true;
    finish();
  }
  return n;
}

// Runs the decoder over buffered framing until it needs more bytes, reaches data, or ends.
// Returns false when more input is needed.
Result<bool> Http1BodyStream::advance_chunked() {
  ReadBuffer& buffer = conn_->buffer();
  while (!chunked_->done() && pending_chunk_data_ == 0) {
    auto step = chunked_->feed(buffer.unread());
    if (!step) {
      Error error = std::move(step.error());
      error.with_op("read body");
      return fail(std::move(error));
    }
    if (step->consumed == 0) return false;
    if (step->data_size == 0) {
      buffer.consume(step->consumed);
      continue;
    }
    // The decoder counted the data as consumed; it stays in the buffer until handed out.
    buffer.consume(step->data_offset);
    pending_chunk_data_ = step->data_size;
    framing_after_data_ = step->consumed - step->data_offset - step->data_size;
  }
  return true;
}

Result<std::size_t> Http1BodyStream::read_chunked(std::span<std::byte> buf) {
  ReadBuffer& buffer = conn_->buffer();
  for (;;) {
    if (pending_chunk_data_ > 0) {
      if (buffer.empty()) {
        auto got = fill();
        if (!got) return fail(std::move(got.error()));
        if (*got == 0) return fail(truncated("unexpected EOF inside a chunk"));
      }
      std::size_t n = buffer.take(buf.first(static_cast<std::size_t>(
          std::min<uint64_t>({buf.size(), pending_chunk_data_, buffer.size()}))));
      pending_chunk_data_ -= n;
      received_ += n;
      if (pending_chunk_data_ == 0) {
        buffer.consume(framing_after_data_);
        framing_after_data_ = 0;
        // When the terminating chunk is already here, end now so put_idle_conn fires inside
        // the read that delivers the last bytes, as Go does. Errors surface on the next read.
        auto more = advance_chunked();
        if (more && chunked_->done()) {
          framed_eof_ = true;
          finish();
        }
      }
      return n;
    }
    auto complete = advance_chunked();
    if (!complete) return fail(std::move(complete.error()));
    if (chunked_->done()) break;
    if (*complete) continue;  // data is pending now
    auto got = fill();
    if (!got) return fail(std::move(got.error()));
    if (*got == 0) return fail(truncated("unexpected EOF in chunked body"));
  }
  framed_eof_ = true;
  finish();
  return std::size_t{0};
}

Result<std::size_t> Http1BodyStream::read_until_close(std::span<std::byte> buf) {
  ReadBuffer& buffer = conn_->buffer();
  if (buffer.empty()) {
    auto got = buf.size() >= ReadBuffer::kDefaultCapacity ? conn_->stream().read(buf, ctx_) : fill();
    if (!got) return fail(read_error(std::move(got.error())));
    if (*got == 0) {
      framed_eof_ = true;
      finish();  // never reusable: the end of the body was the end of the connection
      return std::size_t{0};
    }
    if (buf.size() >= ReadBuffer::kDefaultCapacity) {
      received_ += *got;
      return got;
    }
  }
  std::size_t n = buffer.take(buf);
  received_ += n;
  return n;
}

}  // namespace httptrace
