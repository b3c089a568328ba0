// The exporter's lock-free queue and the doorbell that wakes its thread.
#include "otel/trace_ring.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "otel/doorbell.hpp"
#include "support/time_bounds.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;
using otel::detail::Doorbell;
using otel::detail::TraceRing;

TEST(TraceRing, OneCellHoldsOneItemAtATimeLapAfterLap) {
  TraceRing<int> ring(1);
  for (int lap = 0; lap < 5; ++lap) {
    int item = 100 + lap;
    EXPECT_EQ(ring.push(item), static_cast<uint64_t>(lap));
    int refused = -1;
    EXPECT_FALSE(ring.push(refused));
    EXPECT_EQ(refused, -1);  // a refused item stays with the caller
    EXPECT_EQ(ring.pop(), 100 + lap);
    EXPECT_FALSE(ring.pop());
  }
  EXPECT_EQ(ring.pushed(), 5u);
  EXPECT_EQ(ring.popped(), 5u);
}

TEST(TraceRing, ItemsLeaveInPushOrderAcrossLaps) {
  TraceRing<int> ring(3);
  int next_in = 0;
  int next_out = 0;
  for (int round = 0; round < 10; ++round) {
    // Fill to the brim, then take two: the ring's cells are reused at shifting offsets.
    while (true) {
      int item = next_in;
      if (!ring.push(item)) break;
      ++next_in;
    }
    EXPECT_EQ(ring.pushed() - ring.popped(), 3u);
    for (int i = 0; i < 2; ++i) EXPECT_EQ(ring.pop(), next_out++);
  }
  while (auto item = ring.pop()) EXPECT_EQ(*item, next_out++);
  EXPECT_EQ(next_out, next_in);
}

TEST(TraceRing, ConcurrentPushersLoseNothingAndDuplicateNothing) {
  constexpr int kPushers = 4;
  constexpr int kEach = 20000;
  TraceRing<int> ring(64);  // small, so pushers often find it full and the popper races them
  std::vector<std::thread> pushers;
  for (int p = 0; p < kPushers; ++p) {
    pushers.emplace_back([&ring, p] {
      for (int i = 0; i < kEach; ++i) {
        int item = p * kEach + i;
        while (!ring.push(item)) std::this_thread::yield();
      }
    });
  }
  std::vector<int> last_of(kPushers, -1);
  std::vector<bool> seen(kPushers * kEach, false);
  int popped = 0;
  while (popped < kPushers * kEach) {
    auto item = ring.pop();
    if (!item) {
      std::this_thread::yield();
      continue;
    }
    ASSERT_FALSE(seen[*item]) << *item;
    seen[*item] = true;
    // Each pusher's items leave in the order it pushed them.
    const int pusher = *item / kEach;
    EXPECT_GT(*item, last_of[pusher]);
    last_of[pusher] = *item;
    ++popped;
  }
  for (auto& t : pushers) t.join();
  EXPECT_FALSE(ring.pop());
  EXPECT_EQ(ring.pushed(), static_cast<uint64_t>(kPushers * kEach));
}

TEST(Doorbell, ARingAfterTheStateWasReadEndsTheSleepAtOnce) {
  Doorbell bell;
  const uint32_t seen = bell.state();
  bell.ring();
  const auto before = std::chrono::steady_clock::now();
  bell.sleep(seen, 1h);
  EXPECT_LT(std::chrono::steady_clock::now() - before, scaled(5s));
}

TEST(Doorbell, WithoutARingTheSleepLastsItsTimeout) {
  Doorbell bell;
  const auto before = std::chrono::steady_clock::now();
  bell.sleep(bell.state(), 30ms);
  EXPECT_GE(std::chrono::steady_clock::now() - before, 30ms);
}

TEST(Doorbell, ARingFromAnotherThreadWakesTheSleeper) {
  Doorbell bell;
  std::atomic<bool> work{false};
  std::atomic<bool> sleeping{false};
  std::chrono::steady_clock::duration waited{};
  std::thread sleeper([&] {
    const auto before = std::chrono::steady_clock::now();
    const auto deadline = before + scaled(20s);
    while (std::chrono::steady_clock::now() < deadline) {
      const uint32_t seen = bell.state();
      if (work.load()) break;
      sleeping.store(true);
      bell.sleep(seen, deadline - std::chrono::steady_clock::now());
    }
    waited = std::chrono::steady_clock::now() - before;
  });
  while (!sleeping.load()) std::this_thread::yield();
  work.store(true);
  bell.ring();
  sleeper.join();
  EXPECT_LT(waited, scaled(10s));
}

}  // namespace
}  // namespace httptrace::testing
