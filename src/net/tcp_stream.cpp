#include "net/tcp_stream.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "httptrace/ip_address.hpp"

namespace httptrace::net {

std::string format_sockaddr(const sockaddr* addr) {
  if (addr->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    std::array<uint8_t, 4> bytes;
    std::memcpy(bytes.data(), &in->sin_addr, 4);
    return IpAddress::v4(bytes).to_string(ntohs(in->sin_port));
  }
  if (addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    std::array<uint8_t, 16> bytes;
    std::memcpy(bytes.data(), &in6->sin6_addr, 16);
    return IpAddress::v6(bytes, in6->sin6_scope_id).to_string(ntohs(in6->sin6_port));
  }
  return "?";
}

Error socket_error(const char* op, int err, const std::string& local, const std::string& remote) {
  ErrorCode code = ErrorCode::network;
  switch (err) {
    case ECONNRESET:
    case EPIPE:
    case ECONNABORTED:
      code = ErrorCode::connection_reset;
      break;
    case ECONNREFUSED:
      code = ErrorCode::connection_refused;
      break;
    default:
      break;
  }
  Error error(code, std::string(op) + " tcp " + local + "->" + remote + ": " + std::strerror(err));
  error.with_op(op).with_addr(remote);
  return error;
}

TcpStream::TcpStream(int fd) : fd_(fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    local_addr_ = format_sockaddr(reinterpret_cast<sockaddr*>(&addr));
  }
  len = sizeof addr;
  if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    remote_addr_ = format_sockaddr(reinterpret_cast<sockaddr*>(&addr));
  }
}

TcpStream::~TcpStream() { close(); }

void TcpStream::close() noexcept {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

Error TcpStream::io_error(const char* op, int err) const {
  return socket_error(op, err, local_addr_, remote_addr_);
}

Result<std::size_t> TcpStream::try_read(std::span<std::byte> buf) {
  if (fd_ < 0) return fail(ErrorCode::network, "read on a closed connection");
  for (;;) {
    ssize_t n = ::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return kWouldBlock;
    return fail(io_error("read", errno));
  }
}

[[gnu::hot]] Result<std::size_t> TcpStream::read(std::span<std::byte> buf, const Context& ctx,
                                                 std::optional<TimePoint> op_deadline) {
  if (!op_deadline && never_ends(ctx) && fd_ >= 0) {
    for (;;) {
      ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno == EINTR) continue;
      return fail(io_error("read", errno));
    }
  }
  return Stream::read(buf, ctx, op_deadline);
}

namespace {

[[gnu::hot]] ssize_t send_parts(int fd, std::span<const ConstBuffer> parts, int flags) {
  iovec iov[16];
  std::size_t count = 0;
  for (const ConstBuffer& part : parts) {
    if (count == std::size(iov)) break;
    if (part.empty()) continue;
    iov[count].iov_base = const_cast<std::byte*>(part.data());
    iov[count].iov_len = part.size();
    ++count;
  }
  // One buffer (a request head without a body, most of the time): send() spares the kernel
  // copying in a msghdr and an iovec.
  if (count == 1) return ::send(fd, iov[0].iov_base, iov[0].iov_len, flags | MSG_NOSIGNAL);
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = count;
  return ::sendmsg(fd, &msg, flags | MSG_NOSIGNAL);
}

}  // namespace

Result<std::size_t> TcpStream::try_write(std::span<const ConstBuffer> parts) {
  if (fd_ < 0) return fail(ErrorCode::network, "write on a closed connection");
  for (;;) {
    ssize_t n = send_parts(fd_, parts, MSG_DONTWAIT);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return kWouldBlock;
    return fail(io_error("write", errno));
  }
}

[[gnu::hot]] Result<void> TcpStream::write(std::span<const ConstBuffer> parts, const Context& ctx) {
  if (!never_ends(ctx) || fd_ < 0) return Stream::write(parts, ctx);
  // Nothing can interrupt us: blocking sendmsg calls, advancing past partial writes.
  if (parts.size() == 1) {
    // One buffer (a request head without a body, most of the time): send() spares the kernel
    // copying in a msghdr and an iovec, and us gathering the parts.
    for (ConstBuffer rest = parts[0]; !rest.empty();) {
      const ssize_t n = ::send(fd_, rest.data(), rest.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail(io_error("write", errno));
      rest = rest.subspan(static_cast<std::size_t>(n));
    }
    return {};
  }
  ConstBuffer rest[16];
  std::size_t count = 0;
  for (const ConstBuffer& part : parts) {
    if (part.empty()) continue;
    if (count == std::size(rest)) return Stream::write(parts, ctx);
    rest[count++] = part;
  }
  std::size_t first = 0;
  while (first < count) {
    ssize_t n = send_parts(fd_, std::span<const ConstBuffer>(rest + first, count - first), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(io_error("write", errno));
    auto written = static_cast<std::size_t>(n);
    while (written > 0 && first < count) {
      std::size_t take = std::min(written, rest[first].size());
      rest[first] = rest[first].subspan(take);
      written -= take;
      if (rest[first].empty()) ++first;
    }
  }
  return {};
}

Result<Readiness> TcpStream::wait(bool want_read, bool want_write, const Context& ctx,
                                  std::optional<TimePoint> op_deadline) {
  short events = static_cast<short>((want_read ? POLLIN : 0) | (want_write ? POLLOUT : 0));
  auto revents = wait_fd(fd_, events, ctx, op_deadline);
  if (!revents) return fail(std::move(revents.error()));
  Readiness ready;
  // Errors and hang-ups make both directions "ready": the next try_* reports them.
  ready.readable = (*revents & (POLLIN | POLLERR | POLLHUP)) != 0;
  ready.writable = (*revents & (POLLOUT | POLLERR | POLLHUP)) != 0;
  return ready;
}

[[gnu::hot]] bool TcpStream::idle_alive() noexcept {
  if (fd_ < 0) return false;
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) == 0;
}

}  // namespace httptrace::net
