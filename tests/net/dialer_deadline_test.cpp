// The dialer under deadlines, timeouts and cancellation: every wait ends when it must, every
// hook still fires once, and no descriptor survives.

#include "net/dialer.hpp"

#include <thread>

#include <gtest/gtest.h>

#include "net/dial_fixtures.hpp"
#include "net/fake_resolver.hpp"
#include "net/hook_log.hpp"
#include "support/dns_responder.hpp"
#include "support/fd_count.hpp"
#include "support/full_backlog.hpp"
#include "support/time_bounds.hpp"

namespace httptrace::net {
namespace {

using namespace std::chrono_literals;
using testing::answer;
using testing::asking;
using testing::Dialer;
using testing::DnsResponder;
using testing::DnsScript;
using testing::DualStackDialer;
using testing::FakeResolver;
using testing::HookLog;
using testing::ip;
using testing::scaled;
using testing::with_port;
using Lines = std::vector<std::string>;

TEST_F(Dialer, TheDialTimeoutEndsAStalledConnect) {
  std::optional<testing::FullBacklogListener> stalled;
  try {
    stalled.emplace(testing::listen_with_full_backlog());
  } catch (const std::runtime_error& e) {
    GTEST_SKIP() << e.what();
  }
  FakeResolver resolver;
  DialOptions options;
  options.timeout = 200ms;
  const auto started = std::chrono::steady_clock::now();
  auto stream = dial_traced(background(), "127.0.0.1", stalled->port(), resolver, options);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(stream);
  EXPECT_EQ(stream.error().code(), ErrorCode::timeout);
  EXPECT_EQ(stream.error().message(), "dial tcp " + stalled->authority() + ": i/o timeout");
  EXPECT_EQ(log.lines(),
            with_port({"connect_start tcp 127.0.0.1:P", "connect_done tcp 127.0.0.1:P err=timeout"},
                      stalled->port()));
  EXPECT_GE(elapsed, 200ms);
  EXPECT_LT(elapsed, 200ms + scaled(250ms));
}

TEST_F(Dialer, TheContextDeadlineEndsAStalledConnectWithTheContextsError) {
  std::optional<testing::FullBacklogListener> stalled;
  try {
    stalled.emplace(testing::listen_with_full_backlog());
  } catch (const std::runtime_error& e) {
    GTEST_SKIP() << e.what();
  }
  FakeResolver resolver;
  auto [ctx, cancel] = with_timeout(background(), 200ms);
  const auto started = std::chrono::steady_clock::now();
  auto stream = dial_traced(ctx, "127.0.0.1", stalled->port(), resolver);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(stream);
  EXPECT_EQ(stream.error().code(), ErrorCode::deadline_exceeded);
  EXPECT_EQ(stream.error().message(), "context deadline exceeded");
  EXPECT_EQ(log.lines(), with_port({"connect_start tcp 127.0.0.1:P",
                                    "connect_done tcp 127.0.0.1:P err=deadline_exceeded"},
                                   stalled->port()));
  EXPECT_EQ(log.errors()[1], "dial tcp " + stalled->authority() + ": i/o timeout");
  EXPECT_LT(elapsed, 200ms + scaled(250ms));
}

TEST_F(Dialer, CancelingDuringAConnectEndsItWithTheCancelError) {
  std::optional<testing::FullBacklogListener> stalled;
  try {
    stalled.emplace(testing::listen_with_full_backlog());
  } catch (const std::runtime_error& e) {
    GTEST_SKIP() << e.what();
  }
  FakeResolver resolver;
  auto [ctx, cancel] = with_cancel(background());
  ClientTrace trace = log.trace();
  trace.connect_start = [&, inner = trace.connect_start, cancel = cancel](std::string_view network,
                                                                          std::string_view addr) {
    inner(network, addr);
    cancel();
  };
  auto stream = dial(ctx, "127.0.0.1", stalled->port(), resolver, {}, &trace);
  ASSERT_FALSE(stream);
  EXPECT_EQ(stream.error().code(), ErrorCode::canceled);
  EXPECT_EQ(log.lines(), with_port({"connect_start tcp 127.0.0.1:P",
                                    "connect_done tcp 127.0.0.1:P err=canceled"},
                                   stalled->port()));
  EXPECT_EQ(log.errors()[1], "dial tcp " + stalled->authority() + ": operation was canceled");
}

TEST_F(Dialer, AnEndedContextFiresNoHook) {
  FakeResolver resolver;
  auto [ctx, cancel] = with_cancel(background());
  cancel();
  auto stream = dial_traced(ctx, "a.test", 80, resolver);
  ASSERT_FALSE(stream);
  EXPECT_EQ(stream.error().code(), ErrorCode::canceled);
  EXPECT_TRUE(log.lines().empty());
  EXPECT_EQ(resolver.calls(), 0);
}

TEST_F(Dialer, TheContextDeadlineDuringDnsStillFiresDnsDone) {
  DnsResponder dns;
  DnsScript silent;
  silent.reply = DnsScript::Reply::silence;
  dns.script("quiet.test", silent);
  auto resolver = make_default_resolver(asking(dns.server()));
  auto [ctx, cancel] = with_timeout(background(), 200ms);
  const auto started = std::chrono::steady_clock::now();
  auto stream = dial_traced(ctx, "quiet.test", 80, *resolver);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(stream);
  EXPECT_EQ(stream.error().code(), ErrorCode::deadline_exceeded);
  EXPECT_EQ(log.lines(),
            (Lines{"dns_start quiet.test", "dns_done [] err=deadline_exceeded coalesced=0"}));
  EXPECT_EQ(log.errors()[1], "lookup quiet.test: i/o timeout");
  EXPECT_LT(elapsed, 200ms + scaled(250ms));
}

TEST_F(Dialer, TheDialTimeoutBoundsDnsToo) {
  DnsResponder dns;
  DnsScript silent;
  silent.reply = DnsScript::Reply::silence;
  dns.script("quiet.test", silent);
  auto resolver = make_default_resolver(asking(dns.server()));
  DialOptions options;
  options.timeout = 200ms;
  const auto started = std::chrono::steady_clock::now();
  auto stream = dial_traced(background(), "quiet.test", 80, *resolver, options);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(stream);
  EXPECT_EQ(stream.error().code(), ErrorCode::timeout);
  EXPECT_EQ(stream.error().message(), "dial tcp: lookup quiet.test: i/o timeout");
  EXPECT_EQ(log.lines(), (Lines{"dns_start quiet.test", "dns_done [] err=timeout coalesced=0"}));
  EXPECT_LT(elapsed, 200ms + scaled(250ms));
}

TEST_F(DualStackDialer, EveryHookRunsOnTheCallersThread) {
  DnsResponder dns;
  dns.script("dual.test", answer({ip("127.0.0.1"), ip("::1")}));
  auto ports = testing::dual_port(true, false);
  auto resolver = make_default_resolver(asking(dns.server()));
  auto stream = dial_traced(background(), "dual.test", ports.port, *resolver);
  ASSERT_TRUE(stream);
  ASSERT_EQ(log.threads().size(), 6u);
  for (const auto& id : log.threads()) EXPECT_EQ(id, std::this_thread::get_id());
}

TEST_F(Dialer, NoDescriptorOutlivesAnyOutcome) {
  DnsResponder dns;
  dns.script("a.test", answer({ip("127.0.0.1")}));
  DnsScript silent;
  silent.reply = DnsScript::Reply::silence;
  dns.script("quiet.test", silent);
  auto listener = testing::bind_loopback(testing::Loopback::ipv4, 0, 16);
  ASSERT_TRUE(listener);
  auto refusing = testing::refusing_v4_port();
  std::optional<testing::FullBacklogListener> stalled;
  try {
    stalled.emplace(testing::listen_with_full_backlog());
  } catch (const std::runtime_error&) {
  }
  auto resolver = make_default_resolver(asking(dns.server()));
  const int baseline = testing::open_fd_count();

  {
    auto stream =
        dial(background(), "a.test", testing::local_port(listener->get()), *resolver, {}, nullptr);
    ASSERT_TRUE(stream);
  }
  EXPECT_FALSE(dial(background(), "127.0.0.1", refusing.port, *resolver, {}, nullptr));
  EXPECT_FALSE(dial(background(), "nx.test", 80, *resolver, {}, nullptr));
  {
    auto [ctx, cancel] = with_timeout(background(), 50ms);
    EXPECT_FALSE(dial(ctx, "quiet.test", 80, *resolver, {}, nullptr));
  }
  if (stalled) {
    DialOptions options;
    options.timeout = 50ms;
    EXPECT_FALSE(dial(background(), "127.0.0.1", stalled->port(), *resolver, options, nullptr));
    auto [ctx, cancel] = with_timeout(background(), 50ms);
    EXPECT_FALSE(dial(ctx, "127.0.0.1", stalled->port(), *resolver, {}, nullptr));
  }
  EXPECT_EQ(testing::open_fd_count(), baseline);
}

}  // namespace
}  // namespace httptrace::net
