#pragma once
// ASCII helpers shared by the message types and the codecs: locale-free, constexpr where it
// matters.

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace httptrace::ascii {

constexpr char to_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
constexpr char to_upper(char c) noexcept { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; }

inline constexpr std::array<unsigned char, 256> kLower = [] {
  std::array<unsigned char, 256> table{};
  for (std::size_t i = 0; i < table.size(); ++i)
    table[i] = static_cast<unsigned char>(to_lower(static_cast<char>(i)));
  return table;
}();

// Case-insensitive ASCII equality; a table lookup per byte (every response's framing fields
// go through it).
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (kLower[static_cast<unsigned char>(a[i])] != kLower[static_cast<unsigned char>(b[i])])
      return false;
  }
  return true;
}

// RFC 9110 §5.6.2 tchar, computed: is_token_char looks it up.
constexpr bool compute_token_char(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}
inline constexpr std::array<bool, 256> kTokenChars = [] {
  std::array<bool, 256> table{};
  for (std::size_t i = 0; i < table.size(); ++i) table[i] = compute_token_char(static_cast<char>(i));
  return table;
}();

// RFC 9110 §5.6.2 tchar, from a table: every header name of every response goes through it.
constexpr bool is_token_char(char c) noexcept { return kTokenChars[static_cast<unsigned char>(c)]; }

// A token character in upper or lower case, 0 for a byte that is not one: canonicalising a
// header name and checking it are one table lookup per byte.
inline constexpr std::array<std::array<char, 256>, 2> kTokenCase = [] {
  std::array<std::array<char, 256>, 2> table{};
  for (std::size_t i = 0; i < 256; ++i) {
    const auto c = static_cast<char>(i);
    if (!compute_token_char(c)) continue;
    table[0][i] = to_lower(c);
    table[1][i] = to_upper(c);
  }
  return table;
}();

constexpr bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_token_char(c)) return false;
  }
  return true;
}

// RFC 9110 §5.6.3 optional whitespace.
constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

constexpr std::string_view trim_ows(std::string_view v) noexcept {
  while (!v.empty() && is_ows(v.front())) v.remove_prefix(1);
  while (!v.empty() && is_ows(v.back())) v.remove_suffix(1);
  return v;
}

// Whether `list` (a comma-separated header value) contains `token`, case-insensitively.
constexpr bool list_has_token(std::string_view list, std::string_view token) noexcept {
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    std::string_view item = trim_ows(list.substr(0, comma));
    if (iequals(item, token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

// `s` with bytes outside printable ASCII shown as \xNN, for error messages.
inline std::string printable(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '"' && c != '\\') {
      out += c;
    } else {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

}  // namespace httptrace::ascii
