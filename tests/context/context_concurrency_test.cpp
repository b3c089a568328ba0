#include "httptrace/context.hpp"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "context/context_node.hpp"

namespace httptrace {
namespace {

using namespace std::chrono_literals;

TEST(ContextConcurrency, CancelRacingFromSixteenThreads) {
  for (int round = 0; round < 50; ++round) {
    auto [parent, cancel_parent] = with_cancel(background());
    auto [ctx, cancel] = with_timeout(parent, 1ms * (round % 3));
    std::vector<Context> children;
    for (int i = 0; i < 8; ++i) children.push_back(with_cancel(ctx).first);
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 16; ++t) {
      threads.emplace_back([&, t] {
        while (!go.load()) std::this_thread::yield();
        switch (t % 4) {
          case 0: cancel(); break;
          case 1: cancel_parent(); break;
          case 2: (void)ctx.done_fd(); break;
          default: (void)with_cancel(ctx).first.err(); break;
        }
        (void)ctx.err();
      });
    }
    go = true;
    for (auto& th : threads) th.join();
    ASSERT_NE(ctx.err(), nullptr);
    const Error* first = ctx.err();
    for (const Context& child : children) {
      ASSERT_NE(child.err(), nullptr);
      EXPECT_TRUE(child.err()->code() == ErrorCode::canceled ||
                  child.err()->code() == ErrorCode::deadline_exceeded);
    }
    EXPECT_EQ(ctx.err(), first);  // sticky
    EXPECT_EQ(detail::child_count(ctx), 0u);
  }
}

TEST(ContextConcurrency, ChildrenCreatedAndDroppedWhileParentCancels) {
  for (int round = 0; round < 20; ++round) {
    auto [parent, cancel] = with_cancel(background());
    std::atomic<bool> stop{false};
    std::atomic<int> iterations{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        while (!stop.load()) {
          ++iterations;
          auto [child, cancel_child] = with_timeout(parent, 1h);
          auto [grandchild, cancel_grandchild] = with_cancel(child);
          // Propagation reaches the grandchild just after the child, not atomically with it.
          if (child.is_done()) {
            EXPECT_TRUE(grandchild.wait(std::chrono::seconds(5)));
          }
        }
      });
    }
    while (iterations.load() < 200) std::this_thread::yield();  // children are churning
    cancel();
    stop = true;
    for (auto& th : threads) th.join();
    EXPECT_EQ(detail::child_count(parent), 0u);
  }
}

TEST(ContextConcurrency, DeadlineTimerFiresForManyContexts) {
  std::vector<std::pair<Context, CancelFunc>> contexts;
  for (int i = 0; i < 64; ++i) contexts.push_back(with_timeout(background(), 1ms * (i % 8)));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (std::size_t i = t; i < contexts.size(); i += 4) {
        (void)contexts[i].first.done_fd();
        if (i % 5 == 0) contexts[i].second();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (auto& [ctx, cancel] : contexts) EXPECT_TRUE(ctx.wait(5s));
}

}  // namespace
}  // namespace httptrace
