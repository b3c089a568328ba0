#pragma once
// Lowercase hex, the only form W3C Trace Context accepts (§3.2.2: "lowercase hex").

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace httptrace::otel::detail {

inline constexpr std::string_view kHexDigits = "0123456789abcdef";

// 0-15 for '0'-'9' and 'a'-'f'; nullopt for anything else, uppercase included.
inline std::optional<uint8_t> lower_hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return static_cast<uint8_t>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<uint8_t>(c - 'a' + 10);
  return std::nullopt;
}

template <std::size_t N>
void append_hex(std::string& out, const std::array<uint8_t, N>& bytes) {
  for (uint8_t b : bytes) {
    out.push_back(kHexDigits[b >> 4]);
    out.push_back(kHexDigits[b & 0x0f]);
  }
}

template <std::size_t N>
std::string to_hex(const std::array<uint8_t, N>& bytes) {
  std::string out;
  out.reserve(2 * N);
  append_hex(out, bytes);
  return out;
}

// Exactly 2N lowercase hex digits into `bytes`; false otherwise (bytes then unspecified).
template <std::size_t N>
bool from_lower_hex(std::string_view hex, std::array<uint8_t, N>& bytes) noexcept {
  if (hex.size() != 2 * N) return false;
  for (std::size_t i = 0; i < N; ++i) {
    auto high = lower_hex_value(hex[2 * i]);
    auto low = lower_hex_value(hex[2 * i + 1]);
    if (!high || !low) return false;
    bytes[i] = static_cast<uint8_t>((*high << 4) | *low);
  }
  return true;
}

}  // namespace httptrace::otel::detail
