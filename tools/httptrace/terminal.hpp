#pragma once
// Colour on a terminal, plain text elsewhere: ANSI colours only when the stream is a tty, NO_COLOR
// is unset or empty (no-color.org) and TERM is not "dumb".

#include <cstdio>
#include <string>
#include <string_view>

namespace httptrace::cli {

enum class Color { bold, dim, red, green, yellow, blue, magenta, cyan, gray };

// Whether output to `stream` should be coloured.
bool color_wanted(std::FILE* stream);
// Whether `stream` is a terminal (progress lines redraw themselves only there).
bool is_terminal(std::FILE* stream);

class Palette {
 public:
  explicit Palette(bool enabled) : enabled_(enabled) {}
  bool enabled() const noexcept { return enabled_; }
  // `text` wrapped in the colour's escape codes, or `text` itself when colour is off.
  std::string paint(std::string_view text, Color color) const;

 private:
  bool enabled_;
};

}  // namespace httptrace::cli
