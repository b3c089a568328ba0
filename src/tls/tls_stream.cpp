// TlsStream's I/O: reads, writes and waits over the transport once the handshake is done.

#include "tls/tls_stream.hpp"

#include <openssl/err.h>

#include <algorithm>
#include <cstring>

#include "tls/handshake_error.hpp"

namespace httptrace::tls {

namespace {

// The largest TLS record payload (RFC 8446 §5.1): small parts are gathered up to this size so
// a request head in several parts goes out as one record, not one per part.
constexpr std::size_t kRecordPayload = 16384;

// How many readable rounds idle_alive() processes before it gives up on a connection that keeps
// receiving handshake messages.
constexpr int kIdleRounds = 8;

}  // namespace

TlsStream::TlsStream(std::unique_ptr<net::Stream> transport) : transport_(std::move(transport)) {
  bio_.stream = transport_.get();
}

TlsStream::~TlsStream() {
  close();
}

void TlsStream::close() noexcept {
  if (closed_) return;
  closed_ = true;
  if (ssl_ && state_ && !fatal_) {
    // One attempt: close_notify goes out if the socket takes it now; a close never waits.
    ERR_clear_error();
    SSL_shutdown(ssl_.get());
    ERR_clear_error();
  }
  transport_->close();
}

Error TlsStream::io_failure(int ssl_error, const char* op) {
  fatal_ = true;
  const OpenSslErrors errors = OpenSslErrors::take();
  if (ssl_error == SSL_ERROR_SYSCALL && bio_.error) {
    Error error = *bio_.error;
    bio_.error.reset();
    return error;
  }
  Error error(ErrorCode::network, "");
  if (errors.has_ssl_reason(SSL_R_UNEXPECTED_EOF_WHILE_READING) ||
      (ssl_error == SSL_ERROR_SYSCALL && bio_.eof)) {
    // bad-inputs 18 and rule 12: without close_notify the data may have been cut short.
    error = Error(ErrorCode::body_truncated,
                  "tls: the peer closed the connection without close_notify; the data may be "
                  "truncated");
    error.with_op(op);
  } else {
    error = post_handshake_error(errors, notes_, ssl_.get(), op);
  }
  error.with_addr(transport_->remote_addr());
  return error;
}

Result<std::size_t> TlsStream::try_read(std::span<std::byte> buf) {
  if (closed_ || !state_) return fail(ErrorCode::network, "read on a closed connection");
  if (read_failure_) return fail(*read_failure_);
  if (read_eof_ || buf.empty()) return 0;
  ERR_clear_error();
  std::size_t n = 0;
  const int result = SSL_read_ex(ssl_.get(), buf.data(), buf.size(), &n);
  if (result == 1) return n;
  const int code = SSL_get_error(ssl_.get(), result);
  switch (code) {
    case SSL_ERROR_WANT_READ:
      read_want_ = Want::read;
      return net::kWouldBlock;
    case SSL_ERROR_WANT_WRITE:
      read_want_ = Want::write;
      return net::kWouldBlock;
    case SSL_ERROR_ZERO_RETURN:
      read_eof_ = true;
      return 0;
    default:
      read_failure_ = io_failure(code, "read");
      return fail(*read_failure_);
  }
}

Result<std::size_t> TlsStream::try_write(std::span<const net::ConstBuffer> parts) {
  if (closed_ || !state_) return fail(ErrorCode::network, "write on a closed connection");
  if (write_failure_) return fail(*write_failure_);
  std::size_t total = 0;
  std::size_t index = 0;
  std::size_t offset = 0;  // into parts[index]
  while (index < parts.size()) {
    const net::ConstBuffer current = parts[index].subspan(offset);
    if (current.empty()) {
      ++index;
      offset = 0;
      continue;
    }
    // The next record's bytes. A write that OpenSSL has to retry must be retried with the same
    // leading bytes (SSL_write(3)); the caller passes the same remaining parts again, and this
    // rule gathers them the same way, so it is.
    net::ConstBuffer chunk = current;
    if (current.size() < kRecordPayload && index + 1 < parts.size()) {
      scratch_.assign(current.begin(), current.end());
      for (std::size_t next = index + 1; next < parts.size() && scratch_.size() < kRecordPayload;
           ++next) {
        const std::size_t take = std::min(parts[next].size(), kRecordPayload - scratch_.size());
        scratch_.insert(scratch_.end(), parts[next].begin(), parts[next].begin() + take);
      }
      chunk = scratch_;
    }
    ERR_clear_error();
    std::size_t written = 0;
    const int result = SSL_write_ex(ssl_.get(), chunk.data(), chunk.size(), &written);
    if (result != 1) {
      const int code = SSL_get_error(ssl_.get(), result);
      if (code == SSL_ERROR_WANT_WRITE || code == SSL_ERROR_WANT_READ) {
        write_want_ = code == SSL_ERROR_WANT_READ ? Want::read : Want::write;
        return total > 0 ? total : net::kWouldBlock;
      }
      write_failure_ = code == SSL_ERROR_ZERO_RETURN ? Error(ErrorCode::connection_reset,
                                                             "tls: the peer closed the connection")
                                                     : io_failure(code, "write");
      if (total > 0) return total;
      return fail(*write_failure_);
    }
    total += written;
    // Advance through the parts by what the record carried.
    while (written > 0) {
      const std::size_t step = std::min(written, parts[index].size() - offset);
      written -= step;
      offset += step;
      if (offset == parts[index].size()) {
        ++index;
        offset = 0;
      }
    }
  }
  return total;
}

bool TlsStream::has_buffered_input() const noexcept {
  if (closed_ || !ssl_) return false;
  return SSL_pending(ssl_.get()) > 0 || transport_->has_buffered_input();
}

Result<net::Readiness> TlsStream::wait(bool want_read, bool want_write, const Context& ctx,
                                       std::optional<net::TimePoint> op_deadline) {
  // A read that cannot block: decrypted bytes wait, or the outcome is already known.
  if (want_read && (has_buffered_input() || read_eof_ || read_failure_)) {
    return net::Readiness{true, false};
  }
  // cpp-landscape §4.1 pitfall d: SSL_read may need the socket writable, SSL_write readable.
  const bool read_needs_write = read_want_ == Want::write;
  const bool write_needs_read = write_want_ == Want::read;
  bool on_read = false;
  bool on_write = false;
  if (want_read) (read_needs_write ? on_write : on_read) = true;
  if (want_write) (write_needs_read ? on_read : on_write) = true;
  auto ready = transport_->wait(on_read, on_write, ctx, op_deadline);
  if (!ready) return fail(std::move(ready.error()));
  net::Readiness out;
  out.readable = want_read && (read_needs_write ? ready->writable : ready->readable);
  out.writable = want_write && (write_needs_read ? ready->readable : ready->writable);
  return out;
}

bool TlsStream::idle_alive() noexcept {
  if (closed_ || !state_ || fatal_ || read_eof_ || read_failure_) return false;
  if (SSL_pending(ssl_.get()) > 0) return false;
  for (int round = 0; round < kIdleRounds; ++round) {
    if (transport_->idle_alive() && !transport_->has_buffered_input()) return true;
    // Something arrived. A read yielding no data means it was a post-handshake message (TLS
    // 1.3 tickets come after the handshake, cpp-landscape §4.1 pitfall c): still alive.
    ERR_clear_error();
    std::byte byte{};
    std::size_t n = 0;
    const int result = SSL_read_ex(ssl_.get(), &byte, 1, &n);
    if (result == 1) return false;  // unsolicited data (bad-inputs E35): never a response
    const int code = SSL_get_error(ssl_.get(), result);
    if (code == SSL_ERROR_WANT_READ) continue;
    if (code == SSL_ERROR_WANT_WRITE) {
      // A KeyUpdate reply waits for send space; the next write flushes it.
      read_want_ = Want::write;
      return true;
    }
    if (code == SSL_ERROR_ZERO_RETURN) {
      read_eof_ = true;
    } else {
      fatal_ = true;
      ERR_clear_error();
    }
    return false;
  }
  return false;
}

}  // namespace httptrace::tls
