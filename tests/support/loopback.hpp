#pragma once
// Loopback sockets for the fixtures: an owning fd, listeners on 127.0.0.1 / [::1], and a
// connect with a time bound. Test plumbing only — never a non-loopback address.

#include <chrono>
#include <cstdint>
#include <expected>
#include <string>

namespace httptrace::testing {

// Owns one file descriptor; closes it on destruction. Move-only.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept;
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

enum class Loopback { ipv4, ipv6 };

// "127.0.0.1" or "::1".
std::string loopback_address(Loopback family);
// "127.0.0.1:8080" or "[::1]:8080": the authority form used in URLs and Host headers.
std::string loopback_authority(Loopback family, std::uint16_t port);

// Whether this machine can bind [::1] (some containers have no IPv6 loopback); tests that need
// it GTEST_SKIP otherwise.
bool ipv6_loopback_available();

// A TCP socket bound to the loopback address at `port` (0: the kernel picks) with SO_REUSEADDR,
// listening with `backlog` unless backlog < 0. IPv6 sockets are V6ONLY, so the same port can be
// taken on both families. The error is the errno of the failing call. Close-on-exec.
std::expected<UniqueFd, int> bind_loopback(Loopback family, std::uint16_t port, int backlog);

// The local port a socket is bound to.
std::uint16_t local_port(int fd);

// Connects to the loopback address within `timeout`; the socket is returned in blocking mode.
// The error is an errno (ETIMEDOUT when the bound passed).
std::expected<UniqueFd, int> connect_loopback(Loopback family, std::uint16_t port,
                                              std::chrono::milliseconds timeout);

// strerror as a std::string, thread-safe.
std::string errno_text(int err);

}  // namespace httptrace::testing
