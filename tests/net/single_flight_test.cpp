#include "net/single_flight.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "net/wait_io.hpp"
#include "support/time_bounds.hpp"

namespace httptrace::net {
namespace {

using namespace std::chrono_literals;
using testing::scaled;

// A query that finishes when the test opens its gate (an eventfd): nothing is real but the
// waiting, which goes through wait_io like a c-ares lookup's.
struct Gate {
  Gate() : fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~Gate() { ::close(fd); }
  void open() const {
    const uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(fd, &one, sizeof one);
  }
  int fd;
  std::atomic<int> started{0};
  std::atomic<int> destroyed{0};
  std::atomic<int> drivers{0};  // distinct step() callers seen, roughly: increments on change
  Result<std::vector<IpAddress>> answer = std::vector<IpAddress>{*IpAddress::parse("127.0.0.1")};
};

class GatedLookup final : public DrivenLookup {
 public:
  explicit GatedLookup(Gate& gate) : gate_(gate) {}
  ~GatedLookup() override { ++gate_.destroyed; }
  void start() override { ++gate_.started; }
  Result<void> step(const Context& ctx) override {
    if (last_driver_ != std::this_thread::get_id()) {
      last_driver_ = std::this_thread::get_id();
      ++gate_.drivers;
    }
    auto ready = wait_fd(gate_.fd, POLLIN, ctx);
    if (!ready) return fail(std::move(ready.error()));
    outcome_ = gate_.answer;
    return {};
  }
  const std::optional<Result<std::vector<IpAddress>>>& outcome() const override { return outcome_; }

 private:
  Gate& gate_;
  std::thread::id last_driver_;
  std::optional<Result<std::vector<IpAddress>>> outcome_;
};

SingleFlight::Factory gated(Gate& gate) {
  return [&gate](std::string_view) { return std::make_unique<GatedLookup>(gate); };
}

// Waits (bounded) until `flights` has `count` callers on `key`: the event "they joined".
bool wait_for_participants(const SingleFlight& flights, std::string_view key, std::size_t count) {
  const auto deadline = std::chrono::steady_clock::now() + scaled(5s);
  while (flights.participants(key) != count) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST(SingleFlight, ALoneCallerIsNotCoalesced) {
  Gate gate;
  SingleFlight flights(gated(gate));
  gate.open();
  auto result = flights.run(background(), "a.test");
  ASSERT_TRUE(result) << result.error().what();
  EXPECT_FALSE(result->coalesced);
  EXPECT_EQ(result->addrs.size(), 1u);
  EXPECT_EQ(gate.started, 1);
  EXPECT_EQ(gate.destroyed, 1);
  EXPECT_EQ(flights.participants("a.test"), 0u);
}

TEST(SingleFlight, ConcurrentCallersShareOneQueryAndAreAllCoalesced) {
  Gate gate;
  SingleFlight flights(gated(gate));
  auto first = std::async(std::launch::async, [&] { return flights.run(background(), "a.test"); });
  ASSERT_TRUE(wait_for_participants(flights, "a.test", 1));
  auto second = std::async(std::launch::async, [&] { return flights.run(background(), "a.test"); });
  ASSERT_TRUE(wait_for_participants(flights, "a.test", 2));
  gate.open();
  auto a = first.get();
  auto b = second.get();
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(a->coalesced);
  EXPECT_TRUE(b->coalesced);
  EXPECT_EQ(gate.started, 1);
  EXPECT_EQ(gate.destroyed, 1);
}

TEST(SingleFlight, DifferentKeysDoNotShare) {
  Gate gate;
  SingleFlight flights(gated(gate));
  gate.open();
  ASSERT_TRUE(flights.run(background(), "a.test"));
  ASSERT_TRUE(flights.run(background(), "b.test"));
  EXPECT_EQ(gate.started, 2);
}

TEST(SingleFlight, AFinishedFlightIsNotReused) {
  Gate gate;
  SingleFlight flights(gated(gate));
  gate.open();
  ASSERT_TRUE(flights.run(background(), "a.test"));
  auto again = flights.run(background(), "a.test");
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->coalesced);
  EXPECT_EQ(gate.started, 2);
}

TEST(SingleFlight, ErrorsAreSharedToo) {
  Gate gate;
  gate.answer = std::unexpected(Error(ErrorCode::dns, "lookup a.test: no such host"));
  SingleFlight flights(gated(gate));
  auto first = std::async(std::launch::async, [&] { return flights.run(background(), "a.test"); });
  ASSERT_TRUE(wait_for_participants(flights, "a.test", 1));
  auto second = std::async(std::launch::async, [&] { return flights.run(background(), "a.test"); });
  ASSERT_TRUE(wait_for_participants(flights, "a.test", 2));
  gate.open();
  auto a = first.get();
  auto b = second.get();
  ASSERT_FALSE(a);
  ASSERT_FALSE(b);
  EXPECT_EQ(a.error().code(), ErrorCode::dns);
  EXPECT_EQ(b.error().message(), "lookup a.test: no such host");
  EXPECT_EQ(gate.started, 1);
}

TEST(SingleFlight, TheDriverLeavingHandsTheQueryOverToTheOtherCaller) {
  Gate gate;
  SingleFlight flights(gated(gate));
  auto [driver_ctx, cancel_driver] = with_cancel(background());
  auto driver =
      std::async(std::launch::async, [&, ctx = driver_ctx] { return flights.run(ctx, "a.test"); });
  ASSERT_TRUE(wait_for_participants(flights, "a.test", 1));
  auto waiter = std::async(std::launch::async, [&] { return flights.run(background(), "a.test"); });
  ASSERT_TRUE(wait_for_participants(flights, "a.test", 2));

  const auto canceled_at = std::chrono::steady_clock::now();
  cancel_driver();
  auto left = driver.get();
  EXPECT_LT(std::chrono::steady_clock::now() - canceled_at, scaled(50ms));
  ASSERT_FALSE(left);
  EXPECT_EQ(left.error().code(), ErrorCode::canceled);
  ASSERT_TRUE(wait_for_participants(flights, "a.test", 1));
  EXPECT_EQ(gate.destroyed, 0) << "the query must go on for the caller still waiting";

  gate.open();
  auto answer = waiter.get();
  ASSERT_TRUE(answer) << answer.error().what();
  EXPECT_TRUE(answer->coalesced);
  EXPECT_EQ(gate.started, 1);
  EXPECT_EQ(gate.drivers, 2) << "the waiter took over driving";
  EXPECT_EQ(gate.destroyed, 1);
}

TEST(SingleFlight, AWaiterLeavingDoesNotDisturbTheDriver) {
  Gate gate;
  SingleFlight flights(gated(gate));
  auto driver = std::async(std::launch::async, [&] { return flights.run(background(), "a.test"); });
  ASSERT_TRUE(wait_for_participants(flights, "a.test", 1));
  auto [waiter_ctx, cancel_waiter] = with_cancel(background());
  auto waiter =
      std::async(std::launch::async, [&, ctx = waiter_ctx] { return flights.run(ctx, "a.test"); });
  ASSERT_TRUE(wait_for_participants(flights, "a.test", 2));
  cancel_waiter();
  auto left = waiter.get();
  ASSERT_FALSE(left);
  EXPECT_EQ(left.error().code(), ErrorCode::canceled);
  gate.open();
  auto answer = driver.get();
  ASSERT_TRUE(answer);
  EXPECT_TRUE(answer->coalesced) << "Go's `shared`: more than one caller took part";
  EXPECT_EQ(gate.drivers, 1);
}

TEST(SingleFlight, TheLastCallerLeavingCancelsTheQuery) {
  Gate gate;
  SingleFlight flights(gated(gate));
  auto [ctx, cancel] = with_timeout(background(), 50ms);
  auto result = flights.run(ctx, "a.test");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::deadline_exceeded);
  EXPECT_EQ(gate.destroyed, 1);
  EXPECT_EQ(flights.participants("a.test"), 0u);
  // The next caller starts afresh.
  gate.open();
  auto again = flights.run(background(), "a.test");
  ASSERT_TRUE(again);
  EXPECT_EQ(gate.started, 2);
}

TEST(SingleFlight, AnEndedContextNeverJoins) {
  Gate gate;
  SingleFlight flights(gated(gate));
  auto [ctx, cancel] = with_cancel(background());
  cancel();
  auto result = flights.run(ctx, "a.test");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::canceled);
  EXPECT_EQ(gate.started, 0);
}

TEST(SingleFlight, ManyCallersWithRandomCancellationsAllFinish) {
  for (int round = 0; round < 20; ++round) {
    Gate gate;
    SingleFlight flights(gated(gate));
    constexpr int kCallers = 8;
    std::vector<CancelFunc> cancels;
    std::vector<std::future<Result<LookupResult>>> results;
    for (int i = 0; i < kCallers; ++i) {
      auto [ctx, cancel] = with_cancel(background());
      cancels.push_back(cancel);
      results.push_back(std::async(std::launch::async,
                                   [&flights, ctx = ctx] { return flights.run(ctx, "a.test"); }));
    }
    // Cancel every other caller — drivers and waiters alike — while the query is pending.
    for (int i = 0; i < kCallers; i += 2) cancels[static_cast<std::size_t>(i)]();
    gate.open();
    int answered = 0;
    for (int i = 0; i < kCallers; ++i) {
      auto result = results[static_cast<std::size_t>(i)].get();
      if (result) {
        ++answered;
        EXPECT_EQ(result->addrs.size(), 1u);
      } else {
        EXPECT_EQ(result.error().code(), ErrorCode::canceled);
        EXPECT_EQ(i % 2, 0) << "only canceled callers may fail";
      }
    }
    EXPECT_GE(answered, kCallers / 2);
    EXPECT_EQ(gate.destroyed, gate.started);
  }
}

}  // namespace
}  // namespace httptrace::net
