#include "net/dialer.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include "net/dial_fixtures.hpp"
#include "net/fake_resolver.hpp"
#include "net/hook_log.hpp"
#include "support/dns_responder.hpp"
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

// trace-semantics §5 (b): one address, DNS then one connect.
TEST_F(Dialer, ResolvesAndConnectsToAnIpv4OnlyName) {
  DnsResponder dns;
  dns.script("a.test", answer({ip("127.0.0.1")}));
  auto listener = testing::bind_loopback(testing::Loopback::ipv4, 0, 16);
  ASSERT_TRUE(listener);
  const uint16_t port = testing::local_port(listener->get());
  auto resolver = make_default_resolver(asking(dns.server()));

  auto stream = dial_traced(background(), "a.test", port, *resolver);
  ASSERT_TRUE(stream) << stream.error().what();
  EXPECT_EQ((*stream)->remote_addr(), "127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(log.lines(),
            with_port({"dns_start a.test", "dns_done [127.0.0.1] coalesced=0",
                       "connect_start tcp 127.0.0.1:P", "connect_done tcp 127.0.0.1:P"},
                      port));
}

TEST_F(Dialer, TheSocketIsBlockingWithNoDelayAndKeepAlive) {
  auto listener = testing::bind_loopback(testing::Loopback::ipv4, 0, 16);
  ASSERT_TRUE(listener);
  FakeResolver resolver;
  DialOptions options;
  options.keep_alive = 7s;
  auto stream = dial(background(), "127.0.0.1", testing::local_port(listener->get()), resolver,
                     options, nullptr);
  ASSERT_TRUE(stream) << stream.error().what();
  const int fd = (*stream)->fd();
  EXPECT_EQ(::fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
  auto option = [fd](int level, int name) {
    int value = -1;
    socklen_t length = sizeof value;
    ::getsockopt(fd, level, name, &value, &length);
    return value;
  };
  EXPECT_EQ(option(IPPROTO_TCP, TCP_NODELAY), 1);
  EXPECT_EQ(option(SOL_SOCKET, SO_KEEPALIVE), 1);
  EXPECT_EQ(option(IPPROTO_TCP, TCP_KEEPIDLE), 7);
  EXPECT_EQ(option(IPPROTO_TCP, TCP_KEEPINTVL), 7);
}

TEST_F(Dialer, ANegativeKeepAliveLeavesProbesOff) {
  auto listener = testing::bind_loopback(testing::Loopback::ipv4, 0, 16);
  ASSERT_TRUE(listener);
  FakeResolver resolver;
  DialOptions options;
  options.keep_alive = -1s;
  auto stream = dial(background(), "127.0.0.1", testing::local_port(listener->get()), resolver,
                     options, nullptr);
  ASSERT_TRUE(stream);
  int value = -1;
  socklen_t length = sizeof value;
  ::getsockopt((*stream)->fd(), SOL_SOCKET, SO_KEEPALIVE, &value, &length);
  EXPECT_EQ(value, 0);
}

// §5 (b2): the primary family refuses; the fallback starts at once, not after the delay.
TEST_F(DualStackDialer, FallsBackToIpv4AtOnceWhenIpv6Refuses) {
  DnsResponder dns;
  dns.script("dual.test", answer({ip("127.0.0.1"), ip("::1")}));
  auto ports = testing::dual_port(/*v4_listens=*/true, /*v6_listens=*/false);
  auto resolver = make_default_resolver(asking(dns.server()));
  DialOptions options;
  options.fallback_delay = 10s;

  const auto started = std::chrono::steady_clock::now();
  auto stream = dial_traced(background(), "dual.test", ports.port, *resolver, options);
  ASSERT_TRUE(stream) << stream.error().what();
  EXPECT_LT(std::chrono::steady_clock::now() - started, scaled(1s))
      << "waited for the fallback timer";
  EXPECT_EQ((*stream)->remote_addr(), "127.0.0.1:" + std::to_string(ports.port));
  EXPECT_EQ(
      log.lines(),
      with_port({"dns_start dual.test", "dns_done [::1 127.0.0.1] coalesced=0",
                 "connect_start tcp [::1]:P", "connect_done tcp [::1]:P err=connection_refused",
                 "connect_start tcp 127.0.0.1:P", "connect_done tcp 127.0.0.1:P"},
                ports.port));
  EXPECT_EQ(log.errors()[3],
            "dial tcp [::1]:" + std::to_string(ports.port) + ": connect: connection refused");
}

// §5 (b3): both families accept; only the primary is tried.
TEST_F(DualStackDialer, OnlyThePrimaryConnectsWhenBothFamiliesAccept) {
  DnsResponder dns;
  dns.script("dual.test", answer({ip("127.0.0.1"), ip("::1")}));
  auto ports = testing::dual_port(true, true);
  auto resolver = make_default_resolver(asking(dns.server()));

  auto stream = dial_traced(background(), "dual.test", ports.port, *resolver);
  ASSERT_TRUE(stream) << stream.error().what();
  EXPECT_EQ((*stream)->remote_addr(), "[::1]:" + std::to_string(ports.port));
  EXPECT_EQ(log.lines(), with_port({"dns_start dual.test", "dns_done [::1 127.0.0.1] coalesced=0",
                                    "connect_start tcp [::1]:P", "connect_done tcp [::1]:P"},
                                   ports.port));
}

// The primary stalls (a full accept queue); the fallback racer starts after fallback_delay,
// wins, and the loser's connect_done reports its cancellation before dial returns.
TEST_F(DualStackDialer, TheFallbackStartsAfterTheDelayWhenThePrimaryStallsAndTheLoserIsCanceled) {
  std::optional<testing::FullBacklogListener> stalled;
  try {
    stalled.emplace(testing::listen_with_full_backlog());
  } catch (const std::runtime_error& e) {
    GTEST_SKIP() << e.what();
  }
  auto v6 = testing::bind_loopback(testing::Loopback::ipv6, stalled->port(), 16);
  if (!v6) GTEST_SKIP() << "[::1]:" << stalled->port() << " is taken";
  FakeResolver resolver;
  resolver.answer("stall.test", {ip("127.0.0.1"), ip("::1")});
  DialOptions options;
  options.fallback_delay = 100ms;

  auto stream = dial_traced(background(), "stall.test", stalled->port(), resolver, options);
  ASSERT_TRUE(stream) << stream.error().what();
  EXPECT_EQ((*stream)->remote_addr(), "[::1]:" + std::to_string(stalled->port()));
  EXPECT_EQ(log.lines(),
            with_port({"dns_start stall.test", "dns_done [127.0.0.1 ::1] coalesced=0",
                       "connect_start tcp 127.0.0.1:P", "connect_start tcp [::1]:P",
                       "connect_done tcp [::1]:P", "connect_done tcp 127.0.0.1:P err=canceled"},
                      stalled->port()));
  EXPECT_EQ(log.errors()[5],
            "dial tcp 127.0.0.1:" + std::to_string(stalled->port()) + ": operation was canceled");
  const auto times = log.times();
  EXPECT_GE(times[3] - times[2], 100ms) << "the fallback timer fired early";
}

TEST_F(DualStackDialer, ANegativeFallbackDelayTriesEveryAddressInTurnWithoutARace) {
  std::optional<testing::FullBacklogListener> stalled;
  try {
    stalled.emplace(testing::listen_with_full_backlog());
  } catch (const std::runtime_error& e) {
    GTEST_SKIP() << e.what();
  }
  auto v6 = testing::bind_loopback(testing::Loopback::ipv6, stalled->port(), 16);
  if (!v6) GTEST_SKIP() << "[::1]:" << stalled->port() << " is taken";
  FakeResolver resolver;
  resolver.answer("stall.test", {ip("127.0.0.1"), ip("::1")});
  DialOptions options;
  options.fallback_delay = -1ms;
  options.timeout = 300ms;
  auto stream = dial_traced(background(), "stall.test", stalled->port(), resolver, options);
  // With under 2 s in all, Go's partialDeadline gives the first address all of it: the
  // listening [::1] is never tried, as no fallback racer exists.
  ASSERT_FALSE(stream);
  EXPECT_EQ(stream.error().code(), ErrorCode::timeout);
  EXPECT_EQ(log.lines(),
            with_port({"dns_start stall.test", "dns_done [127.0.0.1 ::1] coalesced=0",
                       "connect_start tcp 127.0.0.1:P", "connect_done tcp 127.0.0.1:P err=timeout"},
                      stalled->port()));
}

// §5 (g).
TEST_F(Dialer, ConnectionRefusedIsGosDialError) {
  auto refusing = testing::refusing_v4_port();
  FakeResolver resolver;
  auto stream = dial_traced(background(), "127.0.0.1", refusing.port, resolver);
  ASSERT_FALSE(stream);
  const std::string addr = "127.0.0.1:" + std::to_string(refusing.port);
  EXPECT_EQ(stream.error().code(), ErrorCode::connection_refused);
  EXPECT_EQ(stream.error().message(), "dial tcp " + addr + ": connect: connection refused");
  EXPECT_EQ(stream.error().op(), "dial");
  EXPECT_EQ(stream.error().addr(), addr);
  EXPECT_EQ(log.lines(), with_port({"connect_start tcp 127.0.0.1:P",
                                    "connect_done tcp 127.0.0.1:P err=connection_refused"},
                                   refusing.port));
  EXPECT_EQ(resolver.calls(), 0);
}

TEST_F(DualStackDialer, WhenEveryAttemptFailsThePrimarysFirstErrorIsReturned) {
  auto ports = testing::dual_port(false, false);
  FakeResolver resolver;
  resolver.answer("down.test", {ip("::1"), ip("127.0.0.1")});
  auto stream = dial_traced(background(), "down.test", ports.port, resolver);
  ASSERT_FALSE(stream);
  EXPECT_EQ(stream.error().message(),
            "dial tcp [::1]:" + std::to_string(ports.port) + ": connect: connection refused");
  EXPECT_EQ(log.lines(), with_port({"dns_start down.test", "dns_done [::1 127.0.0.1] coalesced=0",
                                    "connect_start tcp [::1]:P",
                                    "connect_done tcp [::1]:P err=connection_refused",
                                    "connect_start tcp 127.0.0.1:P",
                                    "connect_done tcp 127.0.0.1:P err=connection_refused"},
                                   ports.port));
}

TEST_F(Dialer, AddressesOfOneFamilyAreTriedInTurn) {
  auto refusing = testing::refusing_v4_port();
  // 127.0.0.2 is loopback too; bind it on the same port as the refusing 127.0.0.1.
  testing::UniqueFd on_two(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(refusing.port);
  address.sin_addr.s_addr = htonl(0x7f000002);
  if (::bind(on_two.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(on_two.get(), 16) != 0) {
    GTEST_SKIP() << "cannot listen on 127.0.0.2";
  }
  FakeResolver resolver;
  resolver.answer("two.test", {ip("127.0.0.1"), ip("127.0.0.2")});
  auto stream = dial_traced(background(), "two.test", refusing.port, resolver);
  ASSERT_TRUE(stream) << stream.error().what();
  EXPECT_EQ(log.lines(),
            with_port({"dns_start two.test", "dns_done [127.0.0.1 127.0.0.2] coalesced=0",
                       "connect_start tcp 127.0.0.1:P",
                       "connect_done tcp 127.0.0.1:P err=connection_refused",
                       "connect_start tcp 127.0.0.2:P", "connect_done tcp 127.0.0.2:P"},
                      refusing.port));
}

// §5 (h).
TEST_F(Dialer, NxdomainEndsInDnsDoneWithNoAddressesAndNoConnectHooks) {
  DnsResponder dns;  // unscripted names get NXDOMAIN
  auto resolver = make_default_resolver(asking(dns.server()));
  auto stream = dial_traced(background(), "nx.test", 80, *resolver);
  ASSERT_FALSE(stream);
  EXPECT_EQ(stream.error().code(), ErrorCode::dns);
  EXPECT_EQ(stream.error().dns_kind(), "not_found");
  EXPECT_EQ(stream.error().message(),
            "dial tcp: lookup nx.test on " + dns.server() + ": no such host");
  EXPECT_EQ(log.lines(), (Lines{"dns_start nx.test", "dns_done [] err=dns coalesced=0"}));
  EXPECT_EQ(log.errors()[1], "lookup nx.test on " + dns.server() + ": no such host");
}

TEST_F(DualStackDialer, IpLiteralsSkipDns) {
  auto ports = testing::dual_port(true, true);
  FakeResolver resolver;
  for (const char* host : {"127.0.0.1", "::1", "[::1]"}) {
    HookLog literal_log;
    const ClientTrace trace = literal_log.trace();
    auto stream = dial(background(), host, ports.port, resolver, {}, &trace);
    ASSERT_TRUE(stream) << host << ": " << stream.error().what();
    const std::string addr = std::string(host) == "127.0.0.1" ? "127.0.0.1:P" : "[::1]:P";
    EXPECT_EQ(literal_log.lines(),
              with_port({"connect_start tcp " + addr, "connect_done tcp " + addr}, ports.port));
  }
  EXPECT_EQ(resolver.calls(), 0);
}

TEST_F(Dialer, OverrideAddressesSkipDns) {
  auto listener = testing::bind_loopback(testing::Loopback::ipv4, 0, 16);
  ASSERT_TRUE(listener);
  const uint16_t port = testing::local_port(listener->get());
  FakeResolver resolver;
  const std::vector<IpAddress> overrides = {ip("127.0.0.1")};
  DialOptions options;
  options.override_addrs = &overrides;
  auto stream = dial_traced(background(), "pinned.test", port, resolver, options);
  ASSERT_TRUE(stream) << stream.error().what();
  EXPECT_EQ(log.lines(),
            with_port({"connect_start tcp 127.0.0.1:P", "connect_done tcp 127.0.0.1:P"}, port));
  EXPECT_EQ(resolver.calls(), 0);
}

TEST_F(DualStackDialer, TheFamilyFilterKeepsOnlyTheAskedFamily) {
  auto ports = testing::dual_port(true, true);
  FakeResolver resolver;
  resolver.answer("dual.test", {ip("::1"), ip("127.0.0.1")});
  DialOptions options;
  options.family = IpFamily::v4;
  auto stream = dial_traced(background(), "dual.test", ports.port, resolver, options);
  ASSERT_TRUE(stream) << stream.error().what();
  EXPECT_EQ(log.lines(),
            with_port({"dns_start dual.test", "dns_done [127.0.0.1] coalesced=0",
                       "connect_start tcp 127.0.0.1:P", "connect_done tcp 127.0.0.1:P"},
                      ports.port));
}

TEST_F(Dialer, AFamilyFilterThatLeavesNothingIsAClearError) {
  FakeResolver resolver;
  resolver.answer("v4only.test", {ip("127.0.0.1")});
  DialOptions options;
  options.family = IpFamily::v6;
  auto stream = dial_traced(background(), "v4only.test", 80, resolver, options);
  ASSERT_FALSE(stream);
  EXPECT_EQ(stream.error().code(), ErrorCode::dns);
  EXPECT_EQ(stream.error().message(),
            "dial tcp: address v4only.test: no suitable address found (IPv6 required)");
  EXPECT_EQ(log.lines(), (Lines{"dns_start v4only.test", "dns_done [] err=dns coalesced=0"}));

  HookLog literal_log;
  const ClientTrace trace = literal_log.trace();
  auto literal = dial(background(), "127.0.0.1", 80, resolver, options, &trace);
  ASSERT_FALSE(literal);
  EXPECT_EQ(literal.error().message(),
            "dial tcp: address 127.0.0.1: no suitable address found (IPv6 required)");
  EXPECT_TRUE(literal_log.lines().empty());
}

}  // namespace
}  // namespace httptrace::net
