#include "support/nginx_content.hpp"

#include <stdexcept>

namespace httptrace::testing {

namespace {

std::string binary_pattern(std::size_t size) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
  return bytes;
}

std::string text_pattern(std::size_t size) {
  std::string text;
  text.reserve(size + 128);
  for (int line = 1; text.size() < size; ++line) {
    text += "line ";
    text += std::to_string(line);
    text += ": the quick brown fox jumps over the lazy dog\n";
  }
  text.resize(size);
  return text;
}

}  // namespace

std::string static_file_content(std::string_view name) {
  if (name == "16k.bin") return binary_pattern(kStatic16kSize);
  if (name == "1m.bin") return binary_pattern(kStatic1mSize);
  if (name == "text.txt") return text_pattern(kStaticTextSize);
  throw std::invalid_argument("no static file named " + std::string(name));
}

}  // namespace httptrace::testing
