#pragma once
// Header: HTTP header fields — case-insensitive keys, several values per key, insertion order
// kept (Go's http.Header, with order).
//
// Keys are stored in canonical form (canonical_key: "content-type" → "Content-Type") unless
// they are not valid tokens, which are kept as given, as Go does. All bytes live in one buffer
// plus one index, so a Header costs two allocations however many fields it holds, and clear()
// keeps both for reuse. Views returned by get()/values()/iteration stay valid until the next
// change. Not thread-safe to mutate; safe to read from several threads.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "httptrace/error.hpp"

namespace httptrace {

namespace detail {
struct HeaderBuilder;
}  // namespace detail

// Go's CanonicalMIMEHeaderKey: the first letter and every letter after a hyphen upper case, the
// rest lower case; a key that is not a valid token (e.g. contains a space) is returned as is.
std::string canonical_key(std::string_view key);
// RFC 9110 token characters only, at least one.
bool valid_header_name(std::string_view name) noexcept;
// No control characters but HTAB (CR, LF and NUL in particular); obs-text allowed.
bool valid_header_value(std::string_view value) noexcept;

class Header {
 public:
  // One field: a key and one of its values.
  struct Field {
    std::string_view key;
    std::string_view value;
  };

  Header() = default;

  // Appends a value under `key` (canonicalised). Does not validate: validate() does, and the
  // Transport calls it before sending anything.
  void add(std::string_view key, std::string_view value);
  // Replaces every value of `key` with `value`.
  void set(std::string_view key, std::string_view value);
  // The first value of `key`, if any.
  std::optional<std::string_view> get(std::string_view key) const noexcept;
  // Every value of `key`, in order.
  std::vector<std::string_view> values(std::string_view key) const;
  bool has(std::string_view key) const noexcept;
  // Removes every value of `key`.
  void del(std::string_view key);
  // Number of fields (key/value pairs).
  std::size_t size() const noexcept { return slots_.size(); }
  bool empty() const noexcept { return slots_.empty(); }
  // Removes everything, keeping the storage for reuse.
  void clear() noexcept;
  // Makes room for `fields` fields holding `bytes` bytes of keys and values together, so that
  // adding them allocates at most twice.
  void reserve(std::size_t bytes, std::size_t fields);

  // Fails with ErrorCode::invalid_request naming the first bad field: a name that is not a
  // token, or a value with CR, LF, NUL or another control character.
  Result<void> validate() const;

  // The distinct keys, in the order each first appeared.
  std::vector<std::string_view> keys() const;
  // The fields in insertion order.
  std::vector<Field> fields() const;
  // The i-th field in insertion order (i < size()), without allocating.
  Field field(std::size_t i) const noexcept { return {key_at(i), value_at(i)}; }

  // Iteration yields (canonical key, values) groups in the order each key first appeared, Go's
  // map[string][]string with order: `for (const auto& [key, values] : header)`.
  class Values;
  class const_iterator;
  const_iterator begin() const noexcept;
  const_iterator end() const noexcept;

  // Appends a field whose key is already canonical or deliberately raw (the response parser).
  void add_raw(std::string_view key, std::string_view value);

  friend bool operator==(const Header& a, const Header& b) noexcept;

 private:
  friend struct detail::HeaderBuilder;  // the response parser's bulk path (src/message)
  struct Slot {
    uint32_t key_offset;
    uint32_t key_size;
    uint32_t value_offset;
    uint32_t value_size;
  };
  std::string_view key_at(std::size_t i) const noexcept {
    return {bytes_.data() + slots_[i].key_offset, slots_[i].key_size};
  }
  std::string_view value_at(std::size_t i) const noexcept {
    return {bytes_.data() + slots_[i].value_offset, slots_[i].value_size};
  }
  bool first_of_key(std::size_t i) const noexcept;
  std::size_t find(std::string_view key, std::size_t from) const noexcept;
  // add() (`canonical`) and add_raw().
  void append(std::string_view key, std::string_view value, bool canonical);

  std::string bytes_;
  std::vector<Slot> slots_;
};

// The values of one key, as a forward range of string_view.
class Header::Values {
 public:
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = const std::string_view*;
    using reference = std::string_view;
    iterator() = default;
    std::string_view operator*() const noexcept { return header_->value_at(index_); }
    iterator& operator++() noexcept {
      index_ = header_->find(header_->key_at(index_), index_ + 1);
      return *this;
    }
    iterator operator++(int) noexcept {
      iterator copy = *this;
      ++*this;
      return copy;
    }
    friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.index_ == b.index_; }

   private:
    friend class Header::Values;
    iterator(const Header* header, std::size_t index) : header_(header), index_(index) {}
    const Header* header_ = nullptr;
    std::size_t index_ = 0;
  };

  iterator begin() const noexcept { return {header_, first_}; }
  iterator end() const noexcept { return {header_, header_->slots_.size()}; }
  std::size_t size() const noexcept;
  std::string_view front() const noexcept { return header_->value_at(first_); }
  std::vector<std::string> to_strings() const;

 private:
  friend class Header;
  friend class Header::const_iterator;
  Values(const Header* header, std::size_t first) : header_(header), first_(first) {}
  const Header* header_;
  std::size_t first_;
};

class Header::const_iterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = std::pair<std::string_view, Header::Values>;
  using difference_type = std::ptrdiff_t;
  using pointer = void;
  using reference = value_type;
  const_iterator() = default;
  value_type operator*() const noexcept {
    return {header_->key_at(index_), Header::Values(header_, index_)};
  }
  const_iterator& operator++() noexcept {
    do {
      ++index_;
    } while (index_ < header_->slots_.size() && !header_->first_of_key(index_));
    return *this;
  }
  const_iterator operator++(int) noexcept {
    const_iterator copy = *this;
    ++*this;
    return copy;
  }
  friend bool operator==(const const_iterator& a, const const_iterator& b) noexcept {
    return a.index_ == b.index_;
  }

 private:
  friend class Header;
  const_iterator(const Header* header, std::size_t index) : header_(header), index_(index) {}
  const Header* header_ = nullptr;
  std::size_t index_ = 0;
};

inline Header::const_iterator Header::begin() const noexcept { return {this, 0}; }
inline Header::const_iterator Header::end() const noexcept { return {this, slots_.size()}; }

}  // namespace httptrace
