#include "support/full_backlog.hpp"

#include <cerrno>
#include <chrono>

#include <gtest/gtest.h>

#include "support/fd_count.hpp"
#include "support/loopback.hpp"
#include "support/time_bounds.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;

TEST(FullBacklog, ConnectHangsUntilItsOwnTimeout) {
  const FullBacklogListener listener = listen_with_full_backlog();
  EXPECT_GE(listener.filler_count(), 1u);
  const auto start = std::chrono::steady_clock::now();
  const auto connected = connect_loopback(Loopback::ipv4, listener.port(), 300ms);
  ASSERT_FALSE(connected.has_value());
  EXPECT_EQ(connected.error(), ETIMEDOUT);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);
}

TEST(FullBacklog, StaysFullForRepeatedDials) {
  const FullBacklogListener listener = listen_with_full_backlog();
  for (int i = 0; i < 3; ++i) {
    const auto connected = connect_loopback(Loopback::ipv4, listener.port(), 100ms);
    ASSERT_FALSE(connected.has_value()) << "dial " << i;
    EXPECT_EQ(connected.error(), ETIMEDOUT);
  }
}

TEST(FullBacklog, ReleasesEveryDescriptor) {
  const int baseline = open_fd_count();
  {
    const FullBacklogListener listener = listen_with_full_backlog();
    EXPECT_EQ(open_fd_count(), baseline + 1 + static_cast<int>(listener.filler_count()));
  }
  EXPECT_EQ(open_fd_count(), baseline);
}

}  // namespace
}  // namespace httptrace::testing
