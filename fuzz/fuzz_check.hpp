#pragma once
// What every fuzz target uses: a property check that stops the run with a message (libFuzzer
// then saves the input as a crash), and the split schedule that lets one input be fed in
// pieces its own first bytes choose.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string_view>
#include <vector>

namespace httptrace::fuzz {

// A violated property: print why, then trap so libFuzzer records the input.
[[noreturn]] inline void violated(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "property violated: %s %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  __builtin_trap();
}

inline void check(bool ok, const char* what, std::string_view detail = {}) {
  if (!ok) violated(what, detail);
}

// The input format of the split-invariance targets: [flags][seed lo][seed hi] then the payload.
struct SplitInput {
  uint8_t flags = 0;
  uint16_t seed = 0;
  std::string_view payload;
};

inline bool parse_split_input(const uint8_t* data, std::size_t size, SplitInput& out) {
  if (size < 3) return false;
  out.flags = data[0];
  out.seed = static_cast<uint16_t>(data[1] | (data[2] << 8));
  out.payload = std::string_view(reinterpret_cast<const char*>(data + 3), size - 3);
  return true;
}

// Piece sizes that cover `total` bytes, drawn from `seed` (splitmix64): mostly small pieces,
// single bytes when the seed's low bits are zero.
inline std::vector<std::size_t> split_schedule(uint16_t seed, std::size_t total) {
  std::vector<std::size_t> pieces;
  uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
  const std::size_t max_piece = 1 + (seed & 0x1f) * 3;
  std::size_t covered = 0;
  while (covered < total) {
    state += 0x9E3779B97F4A7C15ull;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    std::size_t piece = 1 + static_cast<std::size_t>(z % max_piece);
    if (piece > total - covered) piece = total - covered;
    pieces.push_back(piece);
    covered += piece;
  }
  return pieces;
}

}  // namespace httptrace::fuzz
