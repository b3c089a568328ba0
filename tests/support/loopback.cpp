#include "support/loopback.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace httptrace::testing {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

int UniqueFd::release() noexcept {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

void UniqueFd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

std::string errno_text(int err) {
  char buf[256];
  // GNU strerror_r returns the message (possibly not in buf).
  return ::strerror_r(err, buf, sizeof buf);
}

std::string loopback_address(Loopback family) {
  return family == Loopback::ipv4 ? "127.0.0.1" : "::1";
}

std::string loopback_authority(Loopback family, std::uint16_t port) {
  const std::string port_text = std::to_string(port);
  if (family == Loopback::ipv4) return "127.0.0.1:" + port_text;
  return "[::1]:" + port_text;
}

namespace {

struct LoopbackAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
};

LoopbackAddress make_address(Loopback family, std::uint16_t port) {
  LoopbackAddress address;
  if (family == Loopback::ipv4) {
    auto* in = reinterpret_cast<sockaddr_in*>(&address.storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.length = sizeof(sockaddr_in);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&address.storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    in6->sin6_addr = in6addr_loopback;
    address.length = sizeof(sockaddr_in6);
  }
  return address;
}

int domain_of(Loopback family) {
  return family == Loopback::ipv4 ? AF_INET : AF_INET6;
}

}  // namespace

bool ipv6_loopback_available() {
  static const bool available = bind_loopback(Loopback::ipv6, 0, -1).has_value();
  return available;
}

std::expected<UniqueFd, int> bind_loopback(Loopback family, std::uint16_t port, int backlog) {
  UniqueFd fd(::socket(domain_of(family), SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return std::unexpected(errno);
  const int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (family == Loopback::ipv6) ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  const LoopbackAddress address = make_address(family, port);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address.storage), address.length) != 0) {
    return std::unexpected(errno);
  }
  if (backlog >= 0 && ::listen(fd.get(), backlog) != 0) return std::unexpected(errno);
  return fd;
}

std::uint16_t local_port(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    throw std::runtime_error("getsockname: " + errno_text(errno));
  }
  if (storage.ss_family == AF_INET)
    return ntohs(reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);
}

std::expected<UniqueFd, int> connect_loopback(Loopback family, std::uint16_t port,
                                              std::chrono::milliseconds timeout) {
  UniqueFd fd(::socket(domain_of(family), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return std::unexpected(errno);
  const LoopbackAddress address = make_address(family, port);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address.storage), address.length) !=
      0) {
    if (errno != EINPROGRESS) return std::unexpected(errno);
    pollfd pfd{fd.get(), POLLOUT, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
    if (ready < 0) return std::unexpected(errno);
    if (ready == 0) return std::unexpected(ETIMEDOUT);
    int err = 0;
    socklen_t length = sizeof err;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &length);
    if (err != 0) return std::unexpected(err);
  }
  const int flags = ::fcntl(fd.get(), F_GETFL);
  ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
  return fd;
}

}  // namespace httptrace::testing
