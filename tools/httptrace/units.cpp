#include "units.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace httptrace::cli {

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text,
                                                       std::chrono::nanoseconds bare_unit) {
  std::size_t digits = 0;
  while (digits < text.size() &&
         ((text[digits] >= '0' && text[digits] <= '9') || text[digits] == '.')) {
    ++digits;
  }
  if (digits == 0) return std::nullopt;
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + digits, value);
  if (ec != std::errc() || end != text.data() + digits) return std::nullopt;
  const std::string_view unit = text.substr(digits);
  double unit_ns = 0;
  if (unit.empty()) {
    unit_ns = static_cast<double>(bare_unit.count());
  } else if (unit == "us" || unit == "\xC2\xB5s") {
    unit_ns = 1e3;
  } else if (unit == "ms") {
    unit_ns = 1e6;
  } else if (unit == "s") {
    unit_ns = 1e9;
  } else if (unit == "m") {
    unit_ns = 60e9;
  } else if (unit == "h") {
    unit_ns = 3600e9;
  } else {
    return std::nullopt;
  }
  const double ns = value * unit_ns;
  if (!std::isfinite(ns) || ns > 86400e9) return std::nullopt;
  return std::chrono::nanoseconds(std::llround(ns));
}

std::string format_ms(double ms) {
  const double magnitude = std::fabs(ms);
  if (magnitude < 0.9995) return fmt::format("{:.3f} ms", ms);
  if (magnitude < 9.995) return fmt::format("{:.2f} ms", ms);
  if (magnitude < 99.95) return fmt::format("{:.1f} ms", ms);
  return fmt::format("{:.0f} ms", ms);
}

std::string format_bytes(uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = -1;
  while (value >= 1024 && unit < 3) {
    value /= 1024;
    ++unit;
  }
  const int decimals = value < 10 ? 2 : value < 100 ? 1 : 0;
  return fmt::format("{:.{}f} {}", value, decimals, kUnits[unit]);
}

std::string format_count(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace httptrace::cli
