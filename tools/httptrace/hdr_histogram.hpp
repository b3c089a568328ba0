#pragma once
// HdrHistogram, the part `load` needs: non-negative integers (we record microseconds) counted in
// log-linear buckets that keep 3 significant digits (Gil Tene's layout: 2048 sub-buckets per
// power of two, so any value is off by at most 1/1024 of itself), percentiles read from the
// counts, exact min, max, sum and count kept beside them.
//
// Recording is lock-free (relaxed atomics) so the load workers share one histogram per measure
// and the progress line reads it while they record; a read during recording sees some recent
// values and not others, never a torn count.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace httptrace::cli {

class HdrHistogram {
 public:
  // One hour in microseconds: longer than any --timeout.
  static constexpr uint64_t kDefaultHighest = 3'600'000'000;

  // Values above `highest` are counted as `highest` (their exact max is still kept).
  explicit HdrHistogram(uint64_t highest = kDefaultHighest);

  // Any thread.
  void record(uint64_t value) noexcept;

  uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  uint64_t sum() const noexcept { return sum_.load(std::memory_order_relaxed); }
  // 0 when empty.
  uint64_t min() const noexcept;
  uint64_t max() const noexcept { return max_.load(std::memory_order_relaxed); }
  double mean() const noexcept;

  // The smallest recorded value v such that `percentile` % of the values are <= v, to 3
  // significant digits (the highest value its bucket holds, capped at max()); 0 when empty.
  uint64_t value_at_percentile(double percentile) const noexcept;
  // The counts split by ascending upper bounds: result[i] counts the values in
  // (upper_bounds[i-1], upper_bounds[i]], each value judged by its bucket's lowest equivalent
  // value; values above the last bound count in the last row. Every value lands in one row.
  std::vector<uint64_t> distribute(const std::vector<uint64_t>& upper_bounds) const;

  // The bucket arithmetic, for tests: every value in [lowest_equivalent(v),
  // highest_equivalent(v)] shares v's counter.
  static uint64_t lowest_equivalent(uint64_t value) noexcept;
  static uint64_t highest_equivalent(uint64_t value) noexcept;

 private:
  static std::size_t index_of(uint64_t value) noexcept;
  static uint64_t value_of(std::size_t index) noexcept;

  uint64_t highest_;
  std::size_t length_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_{0};
  std::atomic<uint64_t> min_{UINT64_MAX};
  std::atomic<uint64_t> max_{0};
};

}  // namespace httptrace::cli
