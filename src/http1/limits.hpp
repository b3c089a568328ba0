#pragma once
// Bounds the HTTP/1 response parser enforces (spec/bad-inputs.md A8–A9, C21–C26, D28).

#include <cstddef>

namespace httptrace::http1 {

struct ParserLimits {
  // Bytes of every response head of one exchange together — 1xx heads, the final head and the
  // trailer share this one budget (bad-inputs D28, RFC rule 10).
  std::size_t max_header_bytes = std::size_t{10} << 20;
  // Field lines across the same heads and the trailer.
  std::size_t max_header_fields = 10'000;
  // Informational responses before the final one (the 6th is an error).
  int max_informational = 5;
  // A chunk-size line, extensions included.
  std::size_t max_chunk_line = 4096;
  // Total chunk-extension bytes beyond a small per-chunk allowance (Go's 16 KiB rule).
  std::size_t max_chunk_extension_excess = 16 * 1024;
};

}  // namespace httptrace::http1
