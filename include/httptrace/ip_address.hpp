#pragma once
// IpAddress: an IPv4 or IPv6 address (with an IPv6 scope), as DNSDoneInfo reports them and the
// dialer uses them. A small value type; thread-safe to read.

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace httptrace {

class IpAddress {
 public:
  // 0.0.0.0
  IpAddress() noexcept = default;
  static IpAddress v4(const std::array<uint8_t, 4>& bytes) noexcept;
  static IpAddress v6(const std::array<uint8_t, 16>& bytes, uint32_t scope_id = 0) noexcept;
  // Parses "127.0.0.1", "::1" or "fe80::1%eth0" / "fe80::1%2" (no brackets, no port).
  static std::optional<IpAddress> parse(std::string_view text);

  // AF_INET or AF_INET6.
  int family() const noexcept { return family_; }
  bool is_v4() const noexcept { return family_ == AF_INET; }
  bool is_v6() const noexcept { return family_ == AF_INET6; }
  // 4 or 16 bytes in network order.
  std::span<const uint8_t> bytes() const noexcept {
    return {bytes_.data(), is_v4() ? std::size_t{4} : std::size_t{16}};
  }
  uint32_t scope_id() const noexcept { return scope_id_; }
  bool is_loopback() const noexcept;
  bool is_unspecified() const noexcept;
  // "127.0.0.1", "::1", "fe80::1%eth0": as Go prints a net.IP (IPv6 unbracketed).
  std::string to_string() const;
  // "127.0.0.1:80" or "[::1]:80".
  std::string to_string(uint16_t port) const;

  friend bool operator==(const IpAddress&, const IpAddress&) noexcept = default;

 private:
  std::array<uint8_t, 16> bytes_{};
  uint32_t scope_id_ = 0;
  int family_ = AF_INET;
};

}  // namespace httptrace
