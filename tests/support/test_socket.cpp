#include "support/test_socket.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace httptrace::testing {

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::string_view kHeadEnd = "\r\n\r\n";

int poll_timeout_ms(std::optional<std::chrono::steady_clock::time_point> deadline) {
  if (!deadline) return -1;
  const auto left =
      std::chrono::ceil<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<long long>(left.count(), 1 << 30));
}

bool is_reset(int err) {
  return err == ECONNRESET || err == EPIPE || err == ECONNABORTED;
}

}  // namespace

std::string_view to_string(IoFailure failure) {
  switch (failure) {
    case IoFailure::eof:
      return "eof";
    case IoFailure::reset:
      return "reset";
    case IoFailure::timeout:
      return "timeout";
    case IoFailure::malformed:
      return "malformed";
    case IoFailure::stopped:
      return "stopped";
    case IoFailure::closed:
      return "closed";
    case IoFailure::error:
      return "error";
  }
  return "unknown";
}

TestSocket::TestSocket(UniqueFd fd, const std::atomic<bool>* stopping)
    : fd_(std::move(fd)), stopping_(stopping) {
  const int flags = ::fcntl(fd_.get(), F_GETFL);
  ::fcntl(fd_.get(), F_SETFL, flags | O_NONBLOCK);
}

IoError TestSocket::failure(IoFailure kind, std::string what) const {
  return IoError{kind, std::string(to_string(kind)) + ": " + what + " (" +
                           std::to_string(buffer_.size()) + " bytes buffered, " +
                           std::to_string(received_) + " received in all)"};
}

std::optional<std::chrono::steady_clock::time_point> TestSocket::read_deadline() const {
  if (!timeout_) return std::nullopt;
  return std::chrono::steady_clock::now() + *timeout_;
}

IoResult<std::size_t> TestSocket::fill(
    std::optional<std::chrono::steady_clock::time_point> deadline) {
  if (!fd_) return std::unexpected(failure(IoFailure::closed, "socket closed locally"));
  const bool stopping = stopping_ != nullptr && stopping_->load();
  if (peer_eof_) {
    return std::unexpected(failure(stopping ? IoFailure::stopped : IoFailure::eof, "peer closed"));
  }
  for (;;) {
    const std::size_t old_size = buffer_.size();
    buffer_.resize(old_size + kReadChunk);
    const ssize_t n = ::recv(fd_.get(), buffer_.data() + old_size, kReadChunk, MSG_DONTWAIT);
    const int err = errno;
    buffer_.resize(old_size + (n > 0 ? static_cast<std::size_t>(n) : 0));
    if (n > 0) {
      received_ += static_cast<std::uint64_t>(n);
      return static_cast<std::size_t>(n);
    }
    if (n == 0) {
      peer_eof_ = true;
      // A local shutdown() by the stopping server also reads as EOF.
      const bool stopped = stopping_ != nullptr && stopping_->load();
      return std::unexpected(failure(stopped ? IoFailure::stopped : IoFailure::eof, "peer closed"));
    }
    if (err == EINTR) continue;
    if (is_reset(err))
      return std::unexpected(failure(IoFailure::reset, "recv: " + errno_text(err)));
    if (err != EAGAIN && err != EWOULDBLOCK) {
      return std::unexpected(failure(IoFailure::error, "recv: " + errno_text(err)));
    }
    pollfd pfd{fd_.get(), POLLIN, 0};
    const int ready = ::poll(&pfd, 1, poll_timeout_ms(deadline));
    if (ready < 0 && errno != EINTR) {
      return std::unexpected(failure(IoFailure::error, "poll: " + errno_text(errno)));
    }
    if (ready == 0) return std::unexpected(failure(IoFailure::timeout, "no data in time"));
  }
}

std::string TestSocket::consume(std::size_t n) {
  std::string out = buffer_.substr(0, n);
  buffer_.erase(0, n);
  return out;
}

IoResult<std::string> TestSocket::read_some(std::size_t max) {
  if (buffer_.empty()) {
    const auto filled = fill(read_deadline());
    if (!filled) return std::unexpected(filled.error());
  }
  return consume(std::min(max, buffer_.size()));
}

IoResult<std::string> TestSocket::read_exactly(std::size_t n) {
  const auto deadline = read_deadline();
  while (buffer_.size() < n) {
    const auto filled = fill(deadline);
    if (!filled) return std::unexpected(filled.error());
  }
  return consume(n);
}

IoResult<std::string> TestSocket::read_until(std::string_view delimiter) {
  const auto deadline = read_deadline();
  std::size_t scanned = 0;
  for (;;) {
    const std::size_t found = buffer_.find(delimiter, scanned);
    if (found != std::string::npos) return consume(found + delimiter.size());
    scanned = buffer_.size() >= delimiter.size() ? buffer_.size() - delimiter.size() + 1 : 0;
    const auto filled = fill(deadline);
    if (!filled) return std::unexpected(filled.error());
  }
}

IoResult<ScriptRequest> TestSocket::read_request_head() {
  const auto deadline = read_deadline();
  // Search only the new bytes for the end of the head: an endless head must cost O(n).
  std::size_t scanned = 0;
  for (;;) {
    const std::size_t end = buffer_.find(kHeadEnd, scanned);
    if (end != std::string::npos || buffer_.size() > kMaxHeadBytes) {
      auto parsed = parse_request_head(buffer_);
      if (parsed.status == ParseStatus::malformed) {
        return std::unexpected(failure(IoFailure::malformed, "request head: " + parsed.error));
      }
      if (parsed.status == ParseStatus::complete) {
        consume(parsed.consumed);
        return std::move(parsed.value);
      }
    }
    scanned = buffer_.size() >= kHeadEnd.size() ? buffer_.size() - kHeadEnd.size() + 1 : 0;
    const auto filled = fill(deadline);
    if (!filled) return std::unexpected(filled.error());
  }
}

IoResult<void> TestSocket::read_body(ScriptRequest& request) {
  if (request.body_complete) return {};
  const auto deadline = read_deadline();
  for (;;) {
    const bool enough = request.framing.kind != BodyFraming::Kind::length ||
                        buffer_.size() >= request.framing.length;
    if (enough) {
      auto parsed = parse_body(request.framing, buffer_, peer_eof_);
      if (parsed.status == ParseStatus::malformed) {
        return std::unexpected(failure(IoFailure::malformed, "request body: " + parsed.error));
      }
      if (parsed.status == ParseStatus::complete) {
        request.raw += consume(parsed.consumed);
        request.body = std::move(parsed.value.body);
        request.trailers = std::move(parsed.value.trailers);
        request.body_complete = true;
        return {};
      }
    }
    const auto filled = fill(deadline);
    if (!filled) return std::unexpected(filled.error());
  }
}

IoResult<ScriptRequest> TestSocket::read_request() {
  auto request = read_request_head();
  if (!request) return request;
  if (auto body = read_body(*request); !body) return std::unexpected(body.error());
  return request;
}

IoResult<RawResponse> TestSocket::read_response(std::string_view request_method) {
  const auto deadline = read_deadline();
  std::optional<RawResponse> response;
  for (;;) {
    if (!response) {
      auto parsed = parse_response_head(buffer_, request_method);
      if (parsed.status == ParseStatus::malformed) {
        return std::unexpected(failure(IoFailure::malformed, "response head: " + parsed.error));
      }
      if (parsed.status == ParseStatus::complete) {
        consume(parsed.consumed);
        response = std::move(parsed.value);
      }
    }
    if (response) {
      auto parsed = parse_body(response->framing, buffer_, peer_eof_);
      if (parsed.status == ParseStatus::malformed) {
        return std::unexpected(failure(IoFailure::malformed, "response body: " + parsed.error));
      }
      if (parsed.status == ParseStatus::complete) {
        response->raw += consume(parsed.consumed);
        response->body = std::move(parsed.value.body);
        response->trailers = std::move(parsed.value.trailers);
        return std::move(*response);
      }
    }
    const auto filled = fill(deadline);
    if (!filled) {
      // A close-delimited body ends at EOF, which fill() reports as a failure.
      const bool body_until_close =
          response && response->framing.kind == BodyFraming::Kind::until_close;
      if (body_until_close && filled.error().kind == IoFailure::eof) continue;
      return std::unexpected(filled.error());
    }
  }
}

IoResult<void> TestSocket::write(std::string_view bytes) {
  if (!fd_) return std::unexpected(failure(IoFailure::closed, "socket closed locally"));
  const auto deadline = read_deadline();
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent_ += static_cast<std::uint64_t>(n);
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    const int err = errno;
    if (n < 0 && err == EINTR) continue;
    if (n < 0 && is_reset(err)) {
      const bool stopped = stopping_ != nullptr && stopping_->load();
      return std::unexpected(
          failure(stopped ? IoFailure::stopped : IoFailure::reset, "send: " + errno_text(err)));
    }
    if (n < 0 && err != EAGAIN && err != EWOULDBLOCK) {
      return std::unexpected(failure(IoFailure::error, "send: " + errno_text(err)));
    }
    pollfd pfd{fd_.get(), POLLOUT, 0};
    const int ready = ::poll(&pfd, 1, poll_timeout_ms(deadline));
    if (ready == 0) return std::unexpected(failure(IoFailure::timeout, "peer not reading"));
  }
  return {};
}

bool TestSocket::wait_for_peer_close(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto filled = fill(deadline);
    if (filled) continue;
    const IoFailure kind = filled.error().kind;
    return kind == IoFailure::eof || kind == IoFailure::reset;
  }
}

bool TestSocket::peer_closed() {
  return wait_for_peer_close(std::chrono::milliseconds(0));
}

void TestSocket::shutdown_write() noexcept {
  if (fd_) ::shutdown(fd_.get(), SHUT_WR);
}

void TestSocket::reset() noexcept {
  if (!fd_) return;
  const linger abortive{1, 0};
  ::setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
  fd_.reset();
}

void TestSocket::close() noexcept {
  fd_.reset();
}

void TestSocket::abort_io() noexcept {
  if (fd_) ::shutdown(fd_.get(), SHUT_RDWR);
}

TestSocket dial_test_socket(std::uint16_t port, Loopback family,
                            std::chrono::milliseconds timeout) {
  auto fd = connect_loopback(family, port, timeout);
  if (!fd) {
    throw std::runtime_error("connect to " + loopback_authority(family, port) + ": " +
                             errno_text(fd.error()));
  }
  return TestSocket(std::move(*fd));
}

}  // namespace httptrace::testing
