#pragma once
// The shape W3C Trace Context §3.2 gives a version-00 traceparent:
// 00-<32 lowercase hex>-<16 lowercase hex>-<2 lowercase hex>. (A hand check rather than
// std::regex, which GCC 12 cannot compile warning-free under the sanitizers.)

#include <string_view>

namespace httptrace::testing {

inline bool is_traceparent_format(std::string_view s) {
  if (s.size() != 55 || s.substr(0, 3) != "00-") return false;
  for (std::size_t i = 3; i < s.size(); ++i) {
    const bool dash = i == 35 || i == 52;
    const char c = s[i];
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace httptrace::testing
