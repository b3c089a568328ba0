#pragma once
// Column padding that counts what a terminal shows — UTF-8 code points, not bytes — so rows
// holding "—" or block characters line up. Pad before painting: escape codes are not counted.

#include <cstddef>
#include <string>
#include <string_view>

namespace httptrace::cli {

// Columns `text` occupies (one per code point; our texts have no wide characters).
std::size_t display_width(std::string_view text);
// `text` followed by spaces up to `width` columns.
std::string pad_right(std::string_view text, std::size_t width);
// Spaces up to `width` columns, then `text`.
std::string pad_left(std::string_view text, std::size_t width);

}  // namespace httptrace::cli
