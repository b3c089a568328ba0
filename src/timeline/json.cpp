#include "httptrace/json.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace httptrace {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_u_escape(std::string& out, unsigned code) {
  out += "\\u";
  out += kHex[(code >> 12) & 15];
  out += kHex[(code >> 8) & 15];
  out += kHex[(code >> 4) & 15];
  out += kHex[code & 15];
}

// Length of a valid UTF-8 sequence starting at s[i], or 0.
std::size_t utf8_length(std::string_view s, std::size_t i, unsigned& code) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned c = b(0);
  std::size_t n;
  if (c < 0x80) {
    code = c;
    return 1;
  } else if ((c & 0xe0) == 0xc0) {
    n = 2;
    code = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3;
    code = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4;
    code = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xc0) != 0x80) return 0;
    code = (code << 6) | (b(k) & 0x3f);
  }
  static constexpr unsigned kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code < kMin[n] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  return n;
}

// Printable ASCII that goes out as it is: everything but the escaped '"', '\\', '<', '>', '&'.
constexpr bool copied_verbatim(unsigned char c) {
  return c >= 0x20 && c < 0x80 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&';
}

constexpr auto kVerbatim = [] {
  std::array<bool, 256> table{};
  for (unsigned c = 0; c < 256; ++c) table[c] = copied_verbatim(static_cast<unsigned char>(c));
  return table;
}();

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    // Most text (header values, URLs, span names) is plain ASCII: append it a run at a time,
    // not a character at a time (the OTLP exporter spends most of its CPU here).
    std::size_t run = i;
    while (run < s.size() && kVerbatim[static_cast<unsigned char>(s[run])]) ++run;
    if (run > i) {
      out.append(s.data() + i, run - i);
      i = run;
      continue;
    }
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:  // '<', '>', '&' and the other control characters: the run took the rest
          append_u_escape(out, c);
      }
      ++i;
      continue;
    }
    unsigned code = 0;
    std::size_t n = utf8_length(s, i, code);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (code == 0x2028 || code == 0x2029) {
      append_u_escape(out, code);
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  out += '"';
}

void JsonObject::key(std::string_view k) {
  if (text_.size() > 1) text_ += ',';
  append_json_string(text_, k);
  text_ += ':';
}

JsonObject& JsonObject::field(std::string_view k, std::string_view value) {
  key(k);
  append_json_string(text_, value);
  return *this;
}

JsonObject& JsonObject::field(std::string_view k, int64_t value) {
  key(k);
  char buf[24];
  text_.append(buf, std::to_chars(buf, buf + sizeof buf, value).ptr);
  return *this;
}

JsonObject& JsonObject::field(std::string_view k, uint64_t value) {
  key(k);
  char buf[24];
  text_.append(buf, std::to_chars(buf, buf + sizeof buf, value).ptr);
  return *this;
}

JsonObject& JsonObject::field(std::string_view k, bool value) {
  key(k);
  text_ += value ? "true" : "false";
  return *this;
}

JsonObject& JsonObject::field(std::string_view k, double value, int decimals) {
  key(k);
  if (!std::isfinite(value)) {
    text_ += "null";
    return *this;
  }
  char buf[64];
  auto result = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed, decimals);
  text_.append(buf, result.ptr);
  return *this;
}

JsonObject& JsonObject::null_field(std::string_view k) {
  key(k);
  text_ += "null";
  return *this;
}

JsonObject& JsonObject::optional_field(std::string_view k,
                                       const std::optional<std::string>& value) {
  if (value) return field(k, std::string_view(*value));
  return null_field(k);
}

JsonObject& JsonObject::string_array(std::string_view k, const std::vector<std::string>& values) {
  key(k);
  text_ += '[';
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) text_ += ',';
    append_json_string(text_, values[i]);
  }
  text_ += ']';
  return *this;
}

JsonObject& JsonObject::raw_field(std::string_view k, std::string_view json) {
  key(k);
  text_ += json;
  return *this;
}

}  // namespace httptrace
