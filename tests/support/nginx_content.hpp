#pragma once
// What the NginxServer fixture serves under /static/: deterministic files, so a test can
// compare a downloaded body byte for byte.

#include <cstddef>
#include <string>
#include <string_view>

namespace httptrace::testing {

inline constexpr std::size_t kStatic16kSize = 16 * 1024;
inline constexpr std::size_t kStatic1mSize = 1024 * 1024;
inline constexpr std::size_t kStaticTextSize = 64 * 1024;

// The exact bytes of /static/<name> for "16k.bin", "1m.bin" and "text.txt"; throws
// std::invalid_argument for any other name.
//   *.bin: byte i is (i * 7 + i / 251) mod 256 — no period that lines up with a power of two,
//          so an off-by-one chunk boundary shows up as a mismatch.
//   text.txt: numbered lines of English, highly compressible (gzip shrinks it > 10×).
std::string static_file_content(std::string_view name);

}  // namespace httptrace::testing
