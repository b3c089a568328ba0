#include "text_layout.hpp"

namespace httptrace::cli {

std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++width;
  }
  return width;
}

std::string pad_right(std::string_view text, std::size_t width) {
  std::string out(text);
  for (std::size_t w = display_width(text); w < width; ++w) out += ' ';
  return out;
}

std::string pad_left(std::string_view text, std::size_t width) {
  std::string out;
  for (std::size_t w = display_width(text); w < width; ++w) out += ' ';
  out += text;
  return out;
}

}  // namespace httptrace::cli
