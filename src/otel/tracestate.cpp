// tracestate validation, W3C Trace Context §3.3.1.

#include "otel/tracestate.hpp"

#include <algorithm>
#include <vector>

#include "message/ascii.hpp"

namespace httptrace::otel::detail {
namespace {

constexpr std::size_t kMaxMembers = 32;

bool is_lcalpha(char c) noexcept {
  return c >= 'a' && c <= 'z';
}
bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}
bool is_key_char(char c) noexcept {
  return is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '*' || c == '/';
}
// nblk-chr: printable ASCII except ',' and '='.
bool is_value_char(char c) noexcept {
  return c >= 0x21 && c <= 0x7e && c != ',' && c != '=';
}

// simple-key = lcalpha 0*255(key-char); tenant-id = (lcalpha / DIGIT) 0*240(key-char);
// system-id = lcalpha 0*13(key-char).
bool valid_key(std::string_view key) noexcept {
  auto rest_ok = [](std::string_view s) { return std::all_of(s.begin(), s.end(), is_key_char); };
  const auto at = key.find('@');
  if (at == std::string_view::npos) {
    return !key.empty() && key.size() <= 256 && is_lcalpha(key[0]) && rest_ok(key.substr(1));
  }
  std::string_view tenant = key.substr(0, at);
  std::string_view system = key.substr(at + 1);
  return !tenant.empty() && tenant.size() <= 241 &&
         (is_lcalpha(tenant[0]) || is_digit(tenant[0])) && rest_ok(tenant.substr(1)) &&
         !system.empty() && system.size() <= 14 && is_lcalpha(system[0]) &&
         rest_ok(system.substr(1));
}

// value = 0*255(chr) nblk-chr, chr = ' ' / nblk-chr: 1 to 256 characters, no trailing space.
bool valid_value(std::string_view value) noexcept {
  if (value.empty() || value.size() > 256 || value.back() == ' ') return false;
  return std::all_of(value.begin(), value.end(),
                     [](char c) { return c == ' ' || is_value_char(c); });
}

}  // namespace

std::optional<std::string> normalize_tracestate(std::string_view tracestate) {
  std::string out;
  std::vector<std::string_view> keys;
  while (true) {
    const auto comma = tracestate.find(',');
    std::string_view member = ascii::trim_ows(tracestate.substr(0, comma));
    if (!member.empty()) {
      const auto eq = member.find('=');
      if (eq == std::string_view::npos) return std::nullopt;
      std::string_view key = member.substr(0, eq);
      if (!valid_key(key) || !valid_value(member.substr(eq + 1))) return std::nullopt;
      if (std::find(keys.begin(), keys.end(), key) != keys.end()) return std::nullopt;
      if (keys.size() == kMaxMembers) return std::nullopt;
      keys.push_back(key);
      if (!out.empty()) out += ',';
      out += member;
    }
    if (comma == std::string_view::npos) break;
    tracestate.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace httptrace::otel::detail
