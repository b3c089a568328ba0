// Trace and span ids: hex in both directions and random generation (W3C Trace Context §3.2.2).

#include <algorithm>
#include <random>

#include "httptrace/otel.hpp"
#include "otel/hex.hpp"

namespace httptrace::otel {
namespace {

// One generator per thread: ids are made on the request path, which must not contend on a
// lock. Seeded from the OS once per thread; ids need uniqueness, not secrecy (§3.2.2.3 asks
// for randomness, not a CSPRNG).
std::mt19937_64& generator() {
  thread_local std::mt19937_64 engine = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  return engine;
}

template <std::size_t N>
void fill_random_nonzero(std::array<uint8_t, N>& bytes) {
  auto& engine = generator();
  do {
    for (std::size_t i = 0; i < N; i += 8) {
      uint64_t word = engine();
      for (std::size_t j = 0; j < 8 && i + j < N; ++j) {
        bytes[i + j] = static_cast<uint8_t>(word >> (8 * j));
      }
    }
  } while (std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; }));
}

template <std::size_t N>
bool any_nonzero(const std::array<uint8_t, N>& bytes) noexcept {
  return std::any_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b != 0; });
}

}  // namespace

bool TraceId::valid() const noexcept {
  return any_nonzero(bytes);
}

std::string TraceId::hex() const {
  return detail::to_hex(bytes);
}

std::optional<TraceId> TraceId::from_hex(std::string_view hex) noexcept {
  TraceId id;
  if (!detail::from_lower_hex(hex, id.bytes) || !id.valid()) return std::nullopt;
  return id;
}

TraceId TraceId::random() noexcept {
  TraceId id;
  fill_random_nonzero(id.bytes);
  return id;
}

bool SpanId::valid() const noexcept {
  return any_nonzero(bytes);
}

std::string SpanId::hex() const {
  return detail::to_hex(bytes);
}

std::optional<SpanId> SpanId::from_hex(std::string_view hex) noexcept {
  SpanId id;
  if (!detail::from_lower_hex(hex, id.bytes) || !id.valid()) return std::nullopt;
  return id;
}

SpanId SpanId::random() noexcept {
  SpanId id;
  fill_random_nonzero(id.bytes);
  return id;
}

}  // namespace httptrace::otel
