#include "net/connect_attempt.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cctype>
#include <cerrno>
#include <cstring>

namespace httptrace::net {
namespace {

socklen_t to_sockaddr(const IpAddress& ip, uint16_t port, sockaddr_storage& storage) {
  storage = {};
  if (ip.is_v4()) {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    std::memcpy(&in->sin_addr, ip.bytes().data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(port);
  std::memcpy(&in6->sin6_addr, ip.bytes().data(), 16);
  in6->sin6_scope_id = ip.scope_id();
  return sizeof(sockaddr_in6);
}

bool same_address(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    const auto& x = reinterpret_cast<const sockaddr_in&>(a);
    const auto& y = reinterpret_cast<const sockaddr_in&>(b);
    return x.sin_port == y.sin_port && std::memcmp(&x.sin_addr, &y.sin_addr, 4) == 0;
  }
  const auto& x = reinterpret_cast<const sockaddr_in6&>(a);
  const auto& y = reinterpret_cast<const sockaddr_in6&>(b);
  return x.sin6_port == y.sin6_port && std::memcmp(&x.sin6_addr, &y.sin6_addr, 16) == 0;
}

// Go retries a self-connect twice (net/tcpsock_posix.go).
constexpr int kMaxRestarts = 2;

}  // namespace

ConnectAttempt::ConnectAttempt(const IpAddress& ip, uint16_t port,
                               std::optional<TimePoint> deadline)
    : ip_(ip), port_(port), addr_(ip.to_string(port)), deadline_(deadline) {}

Result<ConnectAttempt::State> ConnectAttempt::begin() {
  fd_.reset(::socket(ip_.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP));
  if (!fd_) return fail(failure("socket", errno));
  sockaddr_storage storage;
  const socklen_t length = to_sockaddr(ip_, port_, storage);
  int rc;
  do {
    rc = ::connect(fd_.get(), reinterpret_cast<const sockaddr*>(&storage), length);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0 && errno != EINPROGRESS) {
    const int err = errno;
    fd_.reset();
    return fail(failure("connect", err));
  }
  if (rc != 0) return State::pending;
  return finish();
}

Result<ConnectAttempt::State> ConnectAttempt::finish() {
  int err = 0;
  socklen_t length = sizeof err;
  if (::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &length) != 0) err = errno;
  if (err == EINPROGRESS || err == EALREADY) return State::pending;
  if (err != 0) {
    fd_.reset();
    return fail(failure("connect", err));
  }
  // A connect to a free loopback port can meet itself when the kernel picks that very port as
  // the source (TCP simultaneous open); Go closes and dials again.
  if (connected_to_itself()) {
    fd_.reset();
    if (restarts_++ >= kMaxRestarts) return fail(failure("connect", ECONNREFUSED));
    return begin();
  }
  return State::connected;
}

bool ConnectAttempt::connected_to_itself() const {
  sockaddr_storage local{};
  sockaddr_storage peer{};
  socklen_t local_length = sizeof local;
  socklen_t peer_length = sizeof peer;
  if (::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&local), &local_length) != 0)
    return false;
  if (::getpeername(fd_.get(), reinterpret_cast<sockaddr*>(&peer), &peer_length) != 0) return false;
  return same_address(local, peer);
}

Error ConnectAttempt::failure(const char* call, int err) const {
  ErrorCode code = ErrorCode::network;
  if (err == ECONNREFUSED) code = ErrorCode::connection_refused;
  if (err == ETIMEDOUT) code = ErrorCode::timeout;
  // Go's syscall texts are lower case: "connection refused", not glibc's "Connection refused".
  std::string text = std::strerror(err);
  if (!text.empty())
    text.front() = static_cast<char>(std::tolower(static_cast<unsigned char>(text.front())));
  Error error(code, "dial tcp " + addr_ + ": " + call + ": " + text);
  error.with_op("dial").with_addr(addr_);
  return error;
}

Error ConnectAttempt::timed_out() const {
  Error error(ErrorCode::timeout, "dial tcp " + addr_ + ": i/o timeout");
  error.with_op("dial").with_addr(addr_);
  return error;
}

Error ConnectAttempt::interrupted(const Error& why) const {
  std::string text = why.message();
  if (why.code() == ErrorCode::canceled) text = "operation was canceled";
  if (why.code() == ErrorCode::deadline_exceeded) text = "i/o timeout";
  Error error(why.code(), "dial tcp " + addr_ + ": " + text);
  error.with_op("dial").with_addr(addr_);
  return error;
}

}  // namespace httptrace::net
