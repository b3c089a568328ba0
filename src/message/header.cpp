#include "httptrace/header.hpp"

#include <algorithm>
#include <functional>
#include <limits>
#include <stdexcept>

#include "message/append_in_place.hpp"
#include "message/ascii.hpp"
#include "message/header_builder.hpp"

namespace httptrace {

namespace {

// Whether `s` is a view of `bytes`: growing `bytes` would leave it dangling.
bool points_into(const std::string& bytes, std::string_view s) noexcept {
  const std::less<const char*> before;
  return !s.empty() && !before(s.data(), bytes.data()) &&
         before(s.data(), bytes.data() + bytes.size());
}

// Whether `key` is, byte for byte, one of the names most responses carry, in canonical form:
// servers mostly send them so, and one comparison then replaces a table lookup a byte (Go's
// textproto keeps a table of common names for the same reason).
bool is_common_canonical_key(std::string_view key) noexcept {
  switch (key.size()) {
    case 4:
      return key == "Date" || key == "Vary";
    case 6:
      return key == "Server";
    case 10:
      return key == "Connection" || key == "Keep-Alive" || key == "Set-Cookie";
    case 12:
      return key == "Content-Type";
    case 13:
      return key == "Last-Modified" || key == "Accept-Ranges" || key == "Cache-Control";
    case 14:
      return key == "Content-Length";
    case 16:
      return key == "Content-Encoding";
    case 17:
      return key == "Transfer-Encoding";
    default:
      return false;
  }
}

// Puts the `size` bytes at `key` in Go's canonical form — the first letter and every letter
// after '-' upper case, the others lower case — or leaves them as they are when they are not a
// valid name, as Go's CanonicalMIMEHeaderKey does. In place: every field of every response
// comes through here, in the Header's copy of the head (HeaderBuilder).
void make_canonical_in_place(char* key, std::size_t size) noexcept {
  const std::string_view text(key, size);
  if (is_common_canonical_key(text) || !std::all_of(text.begin(), text.end(), ascii::is_token_char)) return;
  bool upper = true;
  for (std::size_t i = 0; i < size; ++i) {
    key[i] = ascii::kTokenCase[upper][static_cast<unsigned char>(key[i])];
    upper = key[i] == '-';
  }
}

// `key` written to `out` (key.size() bytes) in canonical form.
void write_canonical_key(std::string_view key, char* out) noexcept {
  key.copy(out, key.size());
  make_canonical_in_place(out, key.size());
}

// Slots index the bytes with 32-bit offsets.
void check_header_bytes(std::size_t size) {
  if (size > std::numeric_limits<uint32_t>::max()) {
    throw std::length_error("httptrace::Header: more than 4 GiB of header bytes");
  }
}

}  // namespace

[[gnu::hot]] std::size_t detail::HeaderBuilder::append_text(Header& header, std::string_view text,
                                                            std::size_t fields) {
  const std::size_t offset = header.bytes_.size();
  check_header_bytes(offset + text.size());
  header.bytes_.append(text);
  header.slots_.reserve(header.slots_.size() + fields);
  return offset;
}

[[gnu::hot]] void detail::HeaderBuilder::add_from_text(Header& header, std::size_t key_offset, std::size_t key_size,
                                                       std::size_t value_offset, std::size_t value_size) {
  make_canonical_in_place(header.bytes_.data() + key_offset, key_size);
  // Offsets fit: append_text() refused a buffer past 4 GiB.
  header.slots_.push_back(Header::Slot{static_cast<uint32_t>(key_offset), static_cast<uint32_t>(key_size),
                                       static_cast<uint32_t>(value_offset), static_cast<uint32_t>(value_size)});
}

std::string canonical_key(std::string_view key) {
  std::string out(key.size(), '\0');
  write_canonical_key(key, out.data());
  return out;
}

bool valid_header_name(std::string_view name) noexcept {
  return !name.empty() && std::all_of(name.begin(), name.end(), ascii::is_token_char);
}

bool valid_header_value(std::string_view value) noexcept {
  return std::none_of(value.begin(), value.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
  });
}

[[gnu::hot]] void Header::add(std::string_view key, std::string_view value) {
  append(key, value, true);
}

void Header::add_raw(std::string_view key, std::string_view value) {
  append(key, value, false);
}

[[gnu::hot]] void Header::append(std::string_view key, std::string_view value, bool canonical) {
  const std::size_t size = bytes_.size() + key.size() + value.size();
  check_header_bytes(size);
  if (size > bytes_.capacity() && (points_into(bytes_, key) || points_into(bytes_, value))) {
    const std::string key_copy(key), value_copy(value);
    append(key_copy, value_copy, canonical);
    return;
  }
  Slot slot;
  slot.key_offset = static_cast<uint32_t>(bytes_.size());
  slot.key_size = static_cast<uint32_t>(key.size());
  slot.value_offset = static_cast<uint32_t>(bytes_.size() + key.size());
  slot.value_size = static_cast<uint32_t>(value.size());
  append_in_place(bytes_, key.size() + value.size(), [&](char* out) {
    if (canonical) {
      write_canonical_key(key, out);
    } else {
      key.copy(out, key.size());
    }
    value.copy(out + key.size(), value.size());
  });
  slots_.push_back(slot);
}

void Header::set(std::string_view key, std::string_view value) {
  // `key` or `value` may point into our own buffer: copy before deleting.
  std::string key_copy(key), value_copy(value);
  del(key_copy);
  add(key_copy, value_copy);
}

[[gnu::hot]] std::size_t Header::find(std::string_view key, std::size_t from) const noexcept {
  for (std::size_t i = from; i < slots_.size(); ++i) {
    if (ascii::iequals(key_at(i), key)) return i;
  }
  return slots_.size();
}

bool Header::first_of_key(std::size_t i) const noexcept { return find(key_at(i), 0) == i; }

[[gnu::hot]] std::optional<std::string_view> Header::get(std::string_view key) const noexcept {
  std::size_t i = find(key, 0);
  if (i == slots_.size()) return std::nullopt;
  return value_at(i);
}

[[gnu::hot]] std::vector<std::string_view> Header::values(std::string_view key) const {
  std::vector<std::string_view> out;
  for (std::size_t i = find(key, 0); i < slots_.size(); i = find(key, i + 1)) out.push_back(value_at(i));
  return out;
}

[[gnu::hot]] bool Header::has(std::string_view key) const noexcept { return find(key, 0) != slots_.size(); }

void Header::del(std::string_view key) {
  std::string key_copy(key);
  auto removed = std::remove_if(slots_.begin(), slots_.end(), [&](const Slot& slot) {
    return ascii::iequals(std::string_view(bytes_.data() + slot.key_offset, slot.key_size), key_copy);
  });
  if (removed == slots_.end()) return;
  slots_.erase(removed, slots_.end());
  if (slots_.empty()) bytes_.clear();
  // The removed bytes stay in the buffer until clear(); headers are short-lived.
}

[[gnu::hot]] void Header::reserve(std::size_t bytes, std::size_t fields) {
  bytes_.reserve(bytes);
  slots_.reserve(fields);
}

[[gnu::hot]] void Header::clear() noexcept {
  bytes_.clear();
  slots_.clear();
}

[[gnu::hot]] Result<void> Header::validate() const {
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (!valid_header_name(key_at(i))) {
      return fail(ErrorCode::invalid_request,
                  "invalid header field name \"" + ascii::printable(key_at(i)) + "\"");
    }
    if (!valid_header_value(value_at(i))) {
      return fail(ErrorCode::invalid_request, "invalid header field value for \"" +
                                                  std::string(key_at(i)) +
                                                  "\" (control characters such as CR, LF or NUL)");
    }
  }
  return {};
}

std::vector<std::string_view> Header::keys() const {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (first_of_key(i)) out.push_back(key_at(i));
  }
  return out;
}

std::vector<Header::Field> Header::fields() const {
  std::vector<Field> out;
  out.reserve(slots_.size());
  for (std::size_t i = 0; i < slots_.size(); ++i) out.push_back({key_at(i), value_at(i)});
  return out;
}

bool operator==(const Header& a, const Header& b) noexcept {
  if (a.slots_.size() != b.slots_.size()) return false;
  for (std::size_t i = 0; i < a.slots_.size(); ++i) {
    if (a.key_at(i) != b.key_at(i) || a.value_at(i) != b.value_at(i)) return false;
  }
  return true;
}

std::size_t Header::Values::size() const noexcept {
  std::size_t n = 0;
  for (auto it = begin(); it != end(); ++it) ++n;
  return n;
}

std::vector<std::string> Header::Values::to_strings() const {
  std::vector<std::string> out;
  for (std::string_view v : *this) out.emplace_back(v);
  return out;
}

}  // namespace httptrace
