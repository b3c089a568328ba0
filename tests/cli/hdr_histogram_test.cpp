#include "hdr_histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>
#include <vector>

namespace httptrace::cli {
namespace {

TEST(HdrHistogram, SmallValuesAreExact) {
  for (uint64_t v : {0u, 1u, 7u, 1000u, 2047u}) {
    EXPECT_EQ(HdrHistogram::lowest_equivalent(v), v);
    EXPECT_EQ(HdrHistogram::highest_equivalent(v), v);
  }
}

TEST(HdrHistogram, EveryBucketKeepsThreeSignificantDigits) {
  for (uint64_t v = 2048; v < 4'000'000'000; v = v * 3 / 2 + 17) {
    const uint64_t low = HdrHistogram::lowest_equivalent(v);
    const uint64_t high = HdrHistogram::highest_equivalent(v);
    EXPECT_LE(low, v);
    EXPECT_GE(high, v);
    EXPECT_LE(static_cast<double>(high - low + 1) / static_cast<double>(low), 1.0 / 1024 + 1e-12)
        << v;
  }
}

TEST(HdrHistogram, EmptyReportsZeros) {
  HdrHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
  EXPECT_EQ(h.value_at_percentile(99), 0u);
}

TEST(HdrHistogram, PercentilesMatchTheSortedValuesToThreeDigits) {
  std::mt19937_64 random(42);
  std::lognormal_distribution<double> latency(7.0, 1.2);  // around a millisecond, long tail
  std::vector<uint64_t> values;
  HdrHistogram h;
  for (int i = 0; i < 100'000; ++i) {
    const auto v = static_cast<uint64_t>(latency(random));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  EXPECT_EQ(h.count(), values.size());
  EXPECT_EQ(h.min(), values.front());
  EXPECT_EQ(h.max(), values.back());
  for (double p : {1.0, 50.0, 75.0, 90.0, 99.0, 99.9, 100.0}) {
    const auto rank =
        static_cast<std::size_t>(std::ceil(p / 100 * static_cast<double>(values.size())));
    const uint64_t exact = values[std::max<std::size_t>(rank, 1) - 1];
    const uint64_t got = h.value_at_percentile(p);
    EXPECT_GE(got, exact) << p;
    EXPECT_LE(static_cast<double>(got - exact), static_cast<double>(exact) / 1024 + 1) << p;
  }
}

TEST(HdrHistogram, ValuesAboveTheHighestCountAtTheTopButKeepTheirMax) {
  HdrHistogram h(10'000);
  h.record(5);
  h.record(1'000'000);
  EXPECT_EQ(h.max(), 1'000'000u);
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.value_at_percentile(100), 1'000'000u);
  EXPECT_LE(h.value_at_percentile(50), 5u);
}

TEST(HdrHistogram, DistributePutsEveryValueInExactlyOneRow) {
  HdrHistogram h;
  for (uint64_t v = 1; v <= 10'000; ++v) h.record(v);
  const std::vector<uint64_t> rows = h.distribute({100, 1000, 5000, 10'000});
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0], 100u);
  EXPECT_EQ(rows[0] + rows[1] + rows[2] + rows[3], 10'000u);
  EXPECT_NEAR(static_cast<double>(rows[1]), 900, 5);
}

TEST(HdrHistogram, RecordsFromManyThreadsWithoutLosingCounts) {
  HdrHistogram h;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&h, t] {
      for (uint64_t i = 0; i < 10'000; ++i) h.record(i + static_cast<uint64_t>(t));
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(h.count(), 40'000u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 10'002u);
}

}  // namespace
}  // namespace httptrace::cli
