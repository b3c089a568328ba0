#include "message/url_escape.hpp"

#include <algorithm>
#include <array>

namespace httptrace::url_detail {
namespace {

constexpr char kUpperHex[] = "0123456789ABCDEF";

constexpr bool is_hex(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

constexpr unsigned char hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return static_cast<unsigned char>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<unsigned char>(c - 'a' + 10);
  return static_cast<unsigned char>(c - 'A' + 10);
}

constexpr unsigned char decode_pair(char high, char low) noexcept {
  return static_cast<unsigned char>(hex_value(high) << 4 | hex_value(low));
}

constexpr bool is_one_of(unsigned char c, std::string_view set) noexcept {
  return c != 0 && set.find(static_cast<char>(c)) != std::string_view::npos;
}

constexpr bool is_host_like(Component component) noexcept {
  return component == Component::host || component == Component::zone;
}

std::string escape_problem(std::string_view s, std::size_t percent) {
  return "invalid URL escape " + quote(s.substr(percent, 3));
}

// The rules behind should_escape, evaluated once per byte and component into kEscapeTable.
constexpr bool compute_should_escape(unsigned char c, Component component) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return false;
  // RFC 3986 §3.2.2 sub-delims, plus ':' and '[' ']' because Host carries the port and IPv6
  // brackets, plus '<' '>' '"' which Go lets through so that every host it accepts re-parses.
  if (is_host_like(component) && is_one_of(c, R"(!$&'()*+,;=:[]<>")")) return false;
  if (is_one_of(c, "-_.~")) return false;  // RFC 3986 §2.3 unreserved marks
  if (is_one_of(c, "$&+,/:;=?@")) {
    // RFC 3986 §2.2 reserved: each component lets a few through.
    switch (component) {
      case Component::path:
        // Go handles the path as a whole, so only '?' would change its meaning.
        return c == '?';
      case Component::user_password:
        // ':' separates user and password in Go's parser, so it is escaped too (§3.2.1).
        return is_one_of(c, "@/?:");
      case Component::fragment:
        return false;
      case Component::host:
      case Component::zone:
        return true;
    }
  }
  // Sub-delims Go leaves alone in fragments (golang.org/issue/19917); '\'' stays escaped.
  if (component == Component::fragment && is_one_of(c, "!()*")) return false;
  return true;
}

constexpr int kComponents = static_cast<int>(Component::fragment) + 1;

constexpr std::array<std::array<bool, 256>, kComponents> make_escape_table() noexcept {
  std::array<std::array<bool, 256>, kComponents> table{};
  for (int component = 0; component < kComponents; ++component) {
    for (int c = 0; c < 256; ++c) {
      table[component][c] =
          compute_should_escape(static_cast<unsigned char>(c), static_cast<Component>(component));
    }
  }
  return table;
}

// Escaping runs per byte of every request target: a table lookup, not a rule walk.
constexpr auto kEscapeTable = make_escape_table();

}  // namespace

[[gnu::hot]] bool should_escape(unsigned char c, Component component) noexcept {
  return kEscapeTable[static_cast<std::size_t>(component)][c];
}

std::optional<std::string> check_escapes(std::string_view s, Component component) {
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (c != '%') {
      const auto byte = static_cast<unsigned char>(c);
      if (is_host_like(component) && byte < 0x80 && should_escape(byte, component)) {
        return "invalid character " + quote(s.substr(i, 1)) + " in host name";
      }
      ++i;
      continue;
    }
    if (i + 2 >= s.size() || !is_hex(s[i + 1]) || !is_hex(s[i + 2])) return escape_problem(s, i);
    const bool is_escaped_percent = s.substr(i, 3) == "%25";
    // RFC 3986 §3.2.2: a host may percent-encode only non-ASCII bytes; RFC 6874 adds "%25" as
    // the escaped '%' that introduces an IPv6 zone.
    if (component == Component::host && hex_value(s[i + 1]) < 8 && !is_escaped_percent) {
      return escape_problem(s, i);
    }
    if (component == Component::zone) {
      // RFC 6874 allows any escape in a zone; like Go, only bytes that could be written
      // unescaped in a host (and the space Windows zone names contain) are accepted. Unlike
      // Go that includes non-ASCII bytes, which a host may hold raw: otherwise a zone parsed
      // with raw UTF-8 would print escaped and fail to parse again (found by fuzz_url).
      const unsigned char value = decode_pair(s[i + 1], s[i + 2]);
      if (!is_escaped_percent && value != ' ' && value < 0x80 &&
          should_escape(value, Component::host)) {
        return escape_problem(s, i);
      }
    }
    i += 3;
  }
  return std::nullopt;
}

void append_unescaped(std::string& out, std::string_view s) {
  for (std::size_t percent = s.find('%');
       percent != std::string_view::npos && percent + 2 < s.size(); percent = s.find('%')) {
    out.append(s.substr(0, percent));
    out += static_cast<char>(decode_pair(s[percent + 1], s[percent + 2]));
    s.remove_prefix(percent + 3);
  }
  out.append(s);
}

void append_escaped(std::string& out, std::string_view s, Component component) {
  for (char c : s) {
    const auto byte = static_cast<unsigned char>(c);
    if (!should_escape(byte, component)) {
      out += c;
      continue;
    }
    out += '%';
    out += kUpperHex[byte >> 4];
    out += kUpperHex[byte & 15];
  }
}

[[gnu::hot]] std::size_t escaped_size(std::string_view s, Component component) noexcept {
  std::size_t size = s.size();
  for (char c : s) {
    if (should_escape(static_cast<unsigned char>(c), component)) size += 2;
  }
  return size;
}

bool escapes_to(std::string_view decoded, std::string_view encoded, Component component) noexcept {
  std::size_t j = 0;
  for (char c : decoded) {
    const auto byte = static_cast<unsigned char>(c);
    if (!should_escape(byte, component)) {
      if (j >= encoded.size() || encoded[j] != c) return false;
      ++j;
      continue;
    }
    if (j + 3 > encoded.size() || encoded[j] != '%' || encoded[j + 1] != kUpperHex[byte >> 4] ||
        encoded[j + 2] != kUpperHex[byte & 15]) {
      return false;
    }
    j += 3;
  }
  return j == encoded.size();
}

bool is_valid_encoded(std::string_view s, Component component) noexcept {
  // RFC 3986 Appendix A pchar: sub-delims, ':' and '@' may stay as they are; so may '[' ']'
  // (browsers leave them alone) and '%' (an escape, decoded later).
  return std::none_of(s.begin(), s.end(), [component](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return !is_one_of(byte, "!$&'()*+,;=:@[]%") && should_escape(byte, component);
  });
}

void store_decoded(std::string_view escaped, Component component, std::string& decoded,
                   std::string& hint) {
  decoded.clear();
  if (escaped.find('%') == std::string_view::npos) {
    decoded.assign(escaped);
  } else {
    append_unescaped(decoded, escaped);
  }
  if (escapes_to(decoded, escaped, component) || !is_valid_encoded(escaped, component)) {
    hint.clear();
  } else {
    hint.assign(escaped);
  }
}

std::string quote(std::string_view s) {
  static constexpr char kLowerHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (char c : s) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\a':
        out += "\\a";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\v':
        out += "\\v";
        continue;
      default:
        break;
    }
    if (byte >= 0x20 && byte < 0x7f) {
      out += c;
    } else {
      out += "\\x";
      out += kLowerHex[byte >> 4];
      out += kLowerHex[byte & 15];
    }
  }
  out += '"';
  return out;
}

}  // namespace httptrace::url_detail
