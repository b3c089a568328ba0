// Concurrent dials and lookups: single-flight coalescing (trace-semantics §5 b4), callers
// leaving a shared lookup, and a stress run for TSan.

#include "net/dialer.hpp"

#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "net/cares_resolver.hpp"
#include "net/dial_fixtures.hpp"
#include "net/fake_resolver.hpp"
#include "net/hook_log.hpp"
#include "support/dns_message.hpp"
#include "support/dns_responder.hpp"
#include "support/fd_count.hpp"
#include "support/time_bounds.hpp"

namespace httptrace::net {
namespace {

using namespace std::chrono_literals;
using testing::DnsResponder;
using testing::DnsScript;
using testing::HookLog;
using testing::ip;
using testing::scaled;
using testing::with_port;

DnsScript held_answer(std::vector<IpAddress> addrs) {
  DnsScript script;
  script.addresses = std::move(addrs);
  script.hold = true;
  return script;
}

CaresConfig asking(const std::string& server) {
  return cares_config(testing::asking(server));
}

bool wait_for_waiting(const CaresResolver& resolver, std::string_view host, std::size_t count) {
  const auto deadline = std::chrono::steady_clock::now() + scaled(5s);
  while (resolver.waiting(host) != count) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

struct Dialed {
  Result<std::unique_ptr<TcpStream>> stream;
  std::vector<std::string> lines;
};

std::future<Dialed> dial_async(const Context& ctx, std::string host, uint16_t port,
                               Resolver& resolver) {
  return std::async(std::launch::async, [ctx, host = std::move(host), port, &resolver] {
    HookLog log;
    const ClientTrace trace = log.trace();
    auto stream = dial(ctx, host, port, resolver, {}, &trace);
    return Dialed{std::move(stream), log.lines()};
  });
}

// §5 (b4): two dials of one name while the answer is held — one A and one AAAA query on the
// wire, dns_done coalesced for both, and each dial connects on its own.
TEST(DialConcurrency, ConcurrentLookupsOfOneNameShareOneQuery) {
  DnsResponder dns;
  dns.script("shared.test", held_answer({ip("127.0.0.1")}));
  auto listener = testing::bind_loopback(testing::Loopback::ipv4, 0, 16);
  ASSERT_TRUE(listener);
  const uint16_t port = testing::local_port(listener->get());
  CaresResolver resolver(asking(dns.server()));

  auto first = dial_async(background(), "shared.test", port, resolver);
  ASSERT_TRUE(dns.wait_for_queries("shared.test", 2, scaled(5s)));
  auto second = dial_async(background(), "shared.test", port, resolver);
  ASSERT_TRUE(wait_for_waiting(resolver, "shared.test", 2));
  dns.release("shared.test");

  Dialed a = first.get();
  Dialed b = second.get();
  ASSERT_TRUE(a.stream) << a.stream.error().what();
  ASSERT_TRUE(b.stream) << b.stream.error().what();
  const auto expected = with_port({"dns_start shared.test", "dns_done [127.0.0.1] coalesced=1",
                                   "connect_start tcp 127.0.0.1:P", "connect_done tcp 127.0.0.1:P"},
                                  port);
  EXPECT_EQ(a.lines, expected);
  EXPECT_EQ(b.lines, expected);
  EXPECT_EQ(dns.queries("shared.test", testing::kTypeA), 1);
  EXPECT_EQ(dns.queries("shared.test", testing::kTypeAAAA), 1);
  EXPECT_NE((*a.stream)->local_addr(), (*b.stream)->local_addr())
      << "each dial has its own connection";
}

// A caller whose context ends leaves at once; the lookup goes on for the other, whichever of
// the two was driving it.
class LeavingASharedLookup : public ::testing::TestWithParam<bool> {};

TEST_P(LeavingASharedLookup, ReturnsCanceledAtOnceAndTheOtherStillGetsItsAnswer) {
  const bool first_leaves = GetParam();
  DnsResponder dns;
  dns.script("shared.test", held_answer({ip("127.0.0.1")}));
  auto listener = testing::bind_loopback(testing::Loopback::ipv4, 0, 16);
  ASSERT_TRUE(listener);
  const uint16_t port = testing::local_port(listener->get());
  CaresResolver resolver(asking(dns.server()));
  auto [leaving_ctx, cancel] = with_cancel(background());

  auto first = dial_async(first_leaves ? leaving_ctx : background(), "shared.test", port, resolver);
  ASSERT_TRUE(dns.wait_for_queries("shared.test", 2, scaled(5s)));
  auto second =
      dial_async(first_leaves ? background() : leaving_ctx, "shared.test", port, resolver);
  ASSERT_TRUE(wait_for_waiting(resolver, "shared.test", 2));

  const auto canceled_at = std::chrono::steady_clock::now();
  cancel();
  Dialed left = (first_leaves ? first : second).get();
  EXPECT_LT(std::chrono::steady_clock::now() - canceled_at, scaled(50ms));
  ASSERT_FALSE(left.stream);
  EXPECT_EQ(left.stream.error().code(), ErrorCode::canceled);
  EXPECT_EQ(left.lines, (std::vector<std::string>{"dns_start shared.test",
                                                  "dns_done [] err=canceled coalesced=0"}));
  ASSERT_TRUE(wait_for_waiting(resolver, "shared.test", 1));

  dns.release("shared.test");
  Dialed stayed = (first_leaves ? second : first).get();
  ASSERT_TRUE(stayed.stream) << stayed.stream.error().what();
  EXPECT_EQ(stayed.lines,
            with_port({"dns_start shared.test", "dns_done [127.0.0.1] coalesced=1",
                       "connect_start tcp 127.0.0.1:P", "connect_done tcp 127.0.0.1:P"},
                      port));
  EXPECT_EQ(dns.queries("shared.test", testing::kTypeA), 1)
      << "no second query after the hand-over";
}

INSTANTIATE_TEST_SUITE_P(DialConcurrency, LeavingASharedLookup, ::testing::Bool(),
                         [](const auto& info) {
                           return info.param ? "DriverLeaves" : "WaiterLeaves";
                         });

TEST(DialConcurrency, TheLastCallerLeavingClosesTheLookupsSockets) {
  DnsResponder dns;
  dns.script("held.test", held_answer({ip("127.0.0.1")}));
  CaresResolver resolver(asking(dns.server()));
  const int baseline = testing::open_fd_count();
  {
    auto [ctx, cancel] = with_cancel(background());
    auto lookup = std::async(std::launch::async,
                             [&, ctx = ctx] { return resolver.lookup(ctx, "held.test"); });
    ASSERT_TRUE(dns.wait_for_queries("held.test", 2, scaled(5s)));
    EXPECT_GT(testing::open_fd_count(), baseline) << "the lookup's socket is open while it waits";
    cancel();
    auto result = lookup.get();
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code(), ErrorCode::canceled);
  }
  // Nothing is left: not the channel's socket, not the context's eventfd.
  EXPECT_EQ(testing::open_fd_count(), baseline);
  EXPECT_EQ(resolver.waiting("held.test"), 0u);
}

TEST(DialConcurrency, ManyThreadsDialingManyNames) {
  DnsResponder dns;
  for (const char* name : {"one.test", "two.test", "three.test"}) {
    DnsScript script;
    script.addresses = {ip("127.0.0.1")};
    script.delay = 5ms;
    dns.script(name, script);
  }
  auto listener = testing::bind_loopback(testing::Loopback::ipv4, 0, 128);
  ASSERT_TRUE(listener);
  const uint16_t port = testing::local_port(listener->get());
  CaresResolver resolver(asking(dns.server()));
  const int baseline = testing::open_fd_count();

  constexpr int kThreads = 8;
  constexpr int kRounds = 15;
  std::vector<std::thread> threads;
  std::atomic<int> connected{0};
  std::atomic<int> canceled{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const char* names[] = {"one.test", "two.test", "three.test"};
      for (int round = 0; round < kRounds; ++round) {
        // Every third dial gives up while the answer is still on its way.
        const bool impatient = (t + round) % 3 == 0;
        auto [ctx, cancel] = with_timeout(background(), impatient ? 1ms : 10s);
        HookLog log;
        const ClientTrace trace = log.trace();
        auto stream = dial(ctx, names[(t + round) % 3], port, resolver, {}, &trace);
        const auto lines = log.lines();
        if (stream) {
          ++connected;
          ASSERT_EQ(lines.size(), 4u);
          EXPECT_EQ(lines.back(), "connect_done tcp 127.0.0.1:" + std::to_string(port));
        } else {
          ++canceled;
          EXPECT_TRUE(impatient) << stream.error().what();
          EXPECT_EQ(stream.error().code(), ErrorCode::deadline_exceeded);
          // Ended before the dial (no hook), in or right after the lookup, or in the connect:
          // every phase that started reported its end.
          EXPECT_TRUE(lines.size() == 0 || lines.size() == 2 || lines.size() == 4);
          if (lines.size() == 4) {
            EXPECT_NE(lines.back().find("err=deadline_exceeded"), std::string::npos)
                << lines.back();
          }
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(connected + canceled, kThreads * kRounds);
  EXPECT_GT(connected, 0);
  EXPECT_EQ(testing::open_fd_count(), baseline);
}

}  // namespace
}  // namespace httptrace::net
