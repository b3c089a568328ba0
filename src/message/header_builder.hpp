#pragma once
// The response parser's way into a Header: a head's field section copied in once, then each
// field indexed where it lies in that copy, its key put in canonical form in place — rather
// than two copies and a bookkeeping step per field (every response comes through here).

#include <cstddef>
#include <string_view>

#include "httptrace/header.hpp"

namespace httptrace::detail {

struct HeaderBuilder {
  // Appends `text` to the header's bytes, with room for `fields` more fields; returns where the
  // copy starts. Fields added with add_from_text() refer to it.
  static std::size_t append_text(Header& header, std::string_view text, std::size_t fields);
  // Adds the field whose key is key_size bytes at key_offset and whose value is value_size bytes
  // at value_offset, in the bytes append_text() copied: the key is made canonical there, as
  // Header::add does it (a key that is not a token stays as it is).
  static void add_from_text(Header& header, std::size_t key_offset, std::size_t key_size, std::size_t value_offset,
                            std::size_t value_size);
};

}  // namespace httptrace::detail
