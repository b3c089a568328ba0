#pragma once
// Feeding helpers for the sans-I/O parsers: the same bytes whole, one byte at a time and at
// random split points, so each test can check that the result does not depend on the split.

#include <algorithm>
#include <cstddef>
#include <random>
#include <string_view>
#include <vector>

namespace httptrace::testing {

// Cut points for feeding `size` bytes: increasing positions ending at `size`.
inline std::vector<std::size_t> whole(std::size_t size) {
  return {size};
}

inline std::vector<std::size_t> one_byte_at_a_time(std::size_t size) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i <= size; ++i) cuts.push_back(i);
  if (cuts.empty()) cuts.push_back(0);
  return cuts;
}

inline std::vector<std::size_t> random_cuts(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::size_t> cuts;
  if (size > 1) {
    std::uniform_int_distribution<std::size_t> pick(1, size - 1);
    std::size_t count =
        std::uniform_int_distribution<std::size_t>(1, std::min<std::size_t>(size - 1, 8))(rng);
    for (std::size_t i = 0; i < count; ++i) cuts.push_back(pick(rng));
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  }
  cuts.push_back(size);
  return cuts;
}

// Every way the tests feed a message: whole, bytewise, and five random splittings.
inline std::vector<std::vector<std::size_t>> every_splitting(std::size_t size) {
  std::vector<std::vector<std::size_t>> all{whole(size), one_byte_at_a_time(size)};
  for (unsigned seed = 1; seed <= 5; ++seed) all.push_back(random_cuts(size, seed));
  return all;
}

}  // namespace httptrace::testing
