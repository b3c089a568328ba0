#include "net/happy_eyeballs.hpp"

#include <gtest/gtest.h>

namespace httptrace::net {
namespace {

using namespace std::chrono_literals;

TEST(PartialDeadline, SharesTheTimeLeftEquallyAmongTheAddresses) {
  const TimePoint now = Clock::now();
  EXPECT_EQ(partial_deadline(now, now + 10s, 2), now + 5s);
  EXPECT_EQ(partial_deadline(now, now + 30s, 3), now + 10s);
}

TEST(PartialDeadline, GivesAtLeastTwoSecondsWhenThatMuchIsLeft) {
  const TimePoint now = Clock::now();
  EXPECT_EQ(partial_deadline(now, now + 3s, 2), now + 2s);
  EXPECT_EQ(partial_deadline(now, now + 3s, 10), now + 2s);
}

TEST(PartialDeadline, GivesEverythingLeftWhenLessThanTwoSecondsRemain) {
  const TimePoint now = Clock::now();
  EXPECT_EQ(partial_deadline(now, now + 1s, 3), now + 1s);
}

TEST(PartialDeadline, NoneWhenTheTimeIsUp) {
  const TimePoint now = Clock::now();
  EXPECT_EQ(partial_deadline(now, now, 1), std::nullopt);
  EXPECT_EQ(partial_deadline(now, now - 1ms, 2), std::nullopt);
}

}  // namespace
}  // namespace httptrace::net
