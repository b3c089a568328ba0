#include "hdr_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace httptrace::cli {
namespace {

// 2^11 sub-buckets: the top half of each power-of-two range splits into 1024 equal steps, so
// the step is at most 1/1024 of the value — 3 significant decimal digits (HdrHistogram's
// sub_bucket_count for significant_figures = 3).
constexpr unsigned kHalfMagnitude = 10;
constexpr uint64_t kHalfCount = uint64_t{1} << kHalfMagnitude;
constexpr uint64_t kSubBucketMask = 2 * kHalfCount - 1;

unsigned bucket_of(uint64_t value) noexcept {
  return static_cast<unsigned>(63 - std::countl_zero(value | kSubBucketMask)) - kHalfMagnitude;
}

}  // namespace

std::size_t HdrHistogram::index_of(uint64_t value) noexcept {
  const unsigned bucket = bucket_of(value);
  const uint64_t sub = value >> bucket;
  return static_cast<std::size_t>((uint64_t{bucket} + 1) * kHalfCount + sub - kHalfCount);
}

uint64_t HdrHistogram::value_of(std::size_t index) noexcept {
  const auto i = static_cast<uint64_t>(index);
  if (i < 2 * kHalfCount) return i;
  const uint64_t bucket = (i >> kHalfMagnitude) - 1;
  const uint64_t sub = (i & (kHalfCount - 1)) + kHalfCount;
  return sub << bucket;
}

uint64_t HdrHistogram::lowest_equivalent(uint64_t value) noexcept {
  const unsigned bucket = bucket_of(value);
  return (value >> bucket) << bucket;
}

uint64_t HdrHistogram::highest_equivalent(uint64_t value) noexcept {
  return lowest_equivalent(value) + ((uint64_t{1} << bucket_of(value)) - 1);
}

HdrHistogram::HdrHistogram(uint64_t highest)
    : highest_(std::max<uint64_t>(highest, 2 * kHalfCount)),
      length_(index_of(highest_) + 1),
      counts_(std::make_unique<std::atomic<uint64_t>[]>(length_)) {}

void HdrHistogram::record(uint64_t value) noexcept {
  counts_[index_of(std::min(value, highest_))].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
  uint64_t seen = min_.load(std::memory_order_relaxed);
  while (value < seen && !min_.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
  seen = max_.load(std::memory_order_relaxed);
  while (value > seen && !max_.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

uint64_t HdrHistogram::min() const noexcept {
  const uint64_t value = min_.load(std::memory_order_relaxed);
  return value == UINT64_MAX ? 0 : value;
}

double HdrHistogram::mean() const noexcept {
  const uint64_t n = count();
  return n == 0 ? 0.0 : static_cast<double>(sum()) / static_cast<double>(n);
}

uint64_t HdrHistogram::value_at_percentile(double percentile) const noexcept {
  const uint64_t total = count();
  if (total == 0) return 0;
  const double wanted = std::clamp(percentile, 0.0, 100.0) / 100.0 * static_cast<double>(total);
  const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(wanted)));
  uint64_t seen = 0;
  for (std::size_t i = 0; i < length_; ++i) {
    seen += counts_[i].load(std::memory_order_relaxed);
    if (seen < rank) continue;
    // The top counter also holds the values above highest_: only max() knows those.
    if (i + 1 == length_) return max();
    // Not std::clamp: a read racing the first record may see min() > max().
    return std::min(std::max(highest_equivalent(value_of(i)), min()), max());
  }
  return max();
}

std::vector<uint64_t> HdrHistogram::distribute(const std::vector<uint64_t>& upper_bounds) const {
  std::vector<uint64_t> rows(upper_bounds.size(), 0);
  if (rows.empty()) return rows;
  std::size_t row = 0;
  for (std::size_t i = 0; i < length_; ++i) {
    const uint64_t n = counts_[i].load(std::memory_order_relaxed);
    if (n == 0) continue;
    const uint64_t value = value_of(i);
    while (row + 1 < rows.size() && value > upper_bounds[row]) ++row;
    rows[row] += n;
  }
  return rows;
}

}  // namespace httptrace::cli
