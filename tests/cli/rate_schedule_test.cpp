#include "rate_schedule.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>

namespace httptrace::cli {
namespace {

using namespace std::chrono_literals;
using Clock = RateSchedule::Clock;

TEST(RateSchedule, DueTimesComeFromTheStartWithoutDrift) {
  const auto start = Clock::now();
  RateSchedule schedule(0, 3600s, 3.0, start);
  EXPECT_EQ(schedule.due_time(0), start);
  EXPECT_EQ(schedule.due_time(3), start + 1s);
  EXPECT_EQ(schedule.due_time(3'000'000), start + 1'000'000s);
  EXPECT_EQ(schedule.due_time(1) - start, std::chrono::nanoseconds(333'333'333));
}

TEST(RateSchedule, HandsOutTheCountAndNoMore) {
  RateSchedule schedule(5, 0s, 0, Clock::now());
  for (uint64_t i = 0; i < 5; ++i) {
    auto ticket = schedule.next();
    ASSERT_TRUE(ticket.has_value());
    EXPECT_EQ(ticket->index, i);
  }
  EXPECT_FALSE(schedule.next().has_value());
}

TEST(RateSchedule, ClosedModelTicketsAreDueWhenTaken) {
  RateSchedule schedule(1, 0s, 0, Clock::now() - 1h);
  const auto before = Clock::now();
  auto ticket = schedule.next();
  ASSERT_TRUE(ticket.has_value());
  EXPECT_GE(ticket->due, before);
}

TEST(RateSchedule, ARequestDueAfterTheDurationIsNotSent) {
  const auto start = Clock::now() - 10s;
  RateSchedule schedule(0, 1s, 2.0, start);  // due at 0, 0.5 s; 1 s is the end
  EXPECT_TRUE(schedule.next().has_value());
  EXPECT_TRUE(schedule.next().has_value());
  EXPECT_FALSE(schedule.next().has_value());
}

TEST(RateSchedule, NextWaitsUntilTheRequestIsDue) {
  const auto start = Clock::now();
  RateSchedule schedule(2, 0s, 20.0, start);  // due at 0 and 50 ms
  ASSERT_TRUE(schedule.next().has_value());
  auto second = schedule.next();
  ASSERT_TRUE(second.has_value());
  EXPECT_GE(Clock::now(), start + 50ms);  // a wait that returned early would be a bug
}

TEST(RateSchedule, TakeHandsOutFutureTicketsWithoutWaiting) {
  const auto start = Clock::now();
  RateSchedule schedule(3, 0s, 1.0 / 3600, start);  // due at 0, 1 h, 2 h
  ASSERT_TRUE(schedule.take().has_value());
  auto later = schedule.take();
  ASSERT_TRUE(later.has_value());
  EXPECT_EQ(later->index, 1u);
  EXPECT_EQ(later->due, schedule.due_time(1));
  EXPECT_LT(Clock::now(), start + 1h);  // it did not wait for it
  schedule.stop();
  EXPECT_FALSE(schedule.take().has_value());
}

TEST(RateSchedule, StopWakesAWaitingCaller) {
  RateSchedule schedule(0, 3600s, 1.0 / 3600, Clock::now());  // the second request is an hour away
  ASSERT_TRUE(schedule.next().has_value());
  std::optional<RateSchedule::Ticket> result{RateSchedule::Ticket{}};
  std::thread waiter([&] { result = schedule.next(); });
  schedule.stop();
  waiter.join();
  EXPECT_FALSE(result.has_value());
  EXPECT_TRUE(schedule.stopped());
}

TEST(RateSchedule, RefusesARunThatWouldNeverEnd) {
  EXPECT_THROW(RateSchedule(0, 0s, 10, Clock::now()), std::invalid_argument);
  EXPECT_THROW(RateSchedule(5, 0s, -1, Clock::now()), std::invalid_argument);
}

}  // namespace
}  // namespace httptrace::cli
