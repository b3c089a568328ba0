// Copy-on-write across threads: a copy read and dropped on another thread must be gone, with
// everything it read, before the original changes its fields in place (run under TSan).
#include "httptrace/request.hpp"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

namespace httptrace {
namespace {

TEST(RequestConcurrency, ACopyDroppedOnAnotherThreadIsSeenGoneBeforeAnInPlaceChange) {
  auto made = Request::make("GET", "http://example.test/");
  ASSERT_TRUE(made);
  Request original = std::move(*made);
  for (int round = 0; round < 200; ++round) {
    original.header().set("X-Round", std::to_string(round));
    // Relaxed on purpose: the only ordering between the two threads is the one Request itself
    // provides when the original finds it owns its fields alone again.
    std::atomic<bool> dropped{false};
    std::thread reader([copy = original, &dropped]() mutable {
      EXPECT_TRUE(copy.header().has("X-Round"));
      EXPECT_EQ(copy.url().host(), "example.test");
      { Request gone = std::move(copy); }
      dropped.store(true, std::memory_order_relaxed);
    });
    while (!dropped.load(std::memory_order_relaxed)) std::this_thread::yield();
    original.header().set("X-Round", "changed in place");
    EXPECT_EQ(original.header().get("X-Round"), "changed in place");
    reader.join();
  }
}

}  // namespace
}  // namespace httptrace
