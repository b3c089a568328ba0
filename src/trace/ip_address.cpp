#include "httptrace/ip_address.hpp"

#include <arpa/inet.h>
#include <net/if.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace httptrace {

IpAddress IpAddress::v4(const std::array<uint8_t, 4>& bytes) noexcept {
  IpAddress ip;
  std::copy(bytes.begin(), bytes.end(), ip.bytes_.begin());
  ip.family_ = AF_INET;
  return ip;
}

IpAddress IpAddress::v6(const std::array<uint8_t, 16>& bytes, uint32_t scope_id) noexcept {
  IpAddress ip;
  ip.bytes_ = bytes;
  ip.scope_id_ = scope_id;
  ip.family_ = AF_INET6;
  return ip;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN + IF_NAMESIZE) return std::nullopt;
  std::string address(text);
  if (address.find(':') == std::string::npos) {
    std::array<uint8_t, 4> bytes{};
    if (inet_pton(AF_INET, address.c_str(), bytes.data()) != 1) return std::nullopt;
    return v4(bytes);
  }
  uint32_t scope = 0;
  if (auto percent = address.find('%'); percent != std::string::npos) {
    std::string zone = address.substr(percent + 1);
    address.resize(percent);
    if (zone.empty()) return std::nullopt;
    auto [end, ec] = std::from_chars(zone.data(), zone.data() + zone.size(), scope);
    if (ec != std::errc() || end != zone.data() + zone.size()) {
      scope = if_nametoindex(zone.c_str());
      if (scope == 0) return std::nullopt;
    }
  }
  std::array<uint8_t, 16> bytes{};
  if (inet_pton(AF_INET6, address.c_str(), bytes.data()) != 1) return std::nullopt;
  return v6(bytes, scope);
}

bool IpAddress::is_loopback() const noexcept {
  if (is_v4()) return bytes_[0] == 127;
  static constexpr std::array<uint8_t, 16> kLoopback{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  if (bytes_ == kLoopback) return true;
  // ::ffff:127.x.x.x
  static constexpr std::array<uint8_t, 12> kMappedPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), bytes_.begin()) && bytes_[12] == 127;
}

bool IpAddress::is_unspecified() const noexcept {
  auto b = bytes();
  return std::all_of(b.begin(), b.end(), [](uint8_t x) { return x == 0; });
}

std::string IpAddress::to_string() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(family_, bytes_.data(), buffer, sizeof buffer);
  std::string text(buffer);
  if (is_v6() && scope_id_ != 0) {
    char name[IF_NAMESIZE] = {};
    text += '%';
    text += if_indextoname(scope_id_, name) != nullptr ? std::string(name) : std::to_string(scope_id_);
  }
  return text;
}

std::string IpAddress::to_string(uint16_t port) const {
  std::string text;
  if (is_v6()) text += '[';
  text += to_string();
  if (is_v6()) text += ']';
  text += ':';
  text += std::to_string(port);
  return text;
}

}  // namespace httptrace
