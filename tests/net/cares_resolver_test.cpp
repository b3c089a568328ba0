#include "net/cares_resolver.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>

#include "net/cares_lookup.hpp"
#include "support/dns_message.hpp"
#include "support/dns_responder.hpp"
#include "support/dnsmasq.hpp"
#include "support/loopback.hpp"
#include "support/temp_dir.hpp"
#include "support/time_bounds.hpp"

namespace httptrace::net {
namespace {

using namespace std::chrono_literals;
using testing::DnsResponder;
using testing::DnsScript;
using testing::scaled;

IpAddress ip(std::string_view text) {
  return *IpAddress::parse(text);
}

std::vector<std::string> strings(const std::vector<IpAddress>& addrs) {
  std::vector<std::string> out;
  for (const IpAddress& addr : addrs) out.push_back(addr.to_string());
  return out;
}

// Always the test's own server, never the machine's (DESIGN: no traffic but loopback).
CaresConfig asking(const std::string& server) {
  CaresConfig config;
  config.servers = {parse_dns_server(server)};
  config.use_hosts_file = false;
  return config;
}

DnsScript answer(std::vector<IpAddress> addrs) {
  DnsScript script;
  script.addresses = std::move(addrs);
  return script;
}

DnsScript reply(DnsScript::Reply kind) {
  DnsScript script;
  script.reply = kind;
  return script;
}

TEST(CaresResolver, ResolvesAnIpv4OnlyName) {
  DnsResponder dns;
  dns.script("a.test", answer({ip("127.0.0.1")}));
  CaresResolver resolver(asking(dns.server()));
  auto addrs = resolver.lookup(background(), "a.test");
  ASSERT_TRUE(addrs) << addrs.error().what();
  EXPECT_EQ(strings(*addrs), (std::vector<std::string>{"127.0.0.1"}));
  EXPECT_EQ(dns.queries("a.test", testing::kTypeA), 1);
  EXPECT_EQ(dns.queries("a.test", testing::kTypeAAAA), 1);
}

TEST(CaresResolver, OrdersDnsAnswersAsGoDoes) {
  DnsResponder dns;
  dns.script("dual.test", answer({ip("127.0.0.1"), ip("127.0.0.2"), ip("::1")}));
  CaresResolver resolver(asking(dns.server()));
  auto addrs = resolver.lookup(background(), "dual.test");
  ASSERT_TRUE(addrs) << addrs.error().what();
  // RFC 6724 rule 6 puts ::1 first when it is reachable; rule 1 last when it is not.
  if (testing::ipv6_loopback_available()) {
    EXPECT_EQ(strings(*addrs), (std::vector<std::string>{"::1", "127.0.0.1", "127.0.0.2"}));
  } else {
    EXPECT_EQ(strings(*addrs), (std::vector<std::string>{"127.0.0.1", "127.0.0.2", "::1"}));
  }
}

TEST(CaresResolver, NxdomainIsNotFoundNamingTheHostAndTheServer) {
  DnsResponder dns;
  dns.script("nx.test", reply(DnsScript::Reply::not_found));
  CaresResolver resolver(asking(dns.server()));
  auto addrs = resolver.lookup(background(), "nx.test");
  ASSERT_FALSE(addrs);
  EXPECT_EQ(addrs.error().code(), ErrorCode::dns);
  EXPECT_EQ(addrs.error().dns_kind(), "not_found");
  EXPECT_EQ(addrs.error().op(), "dns");
  EXPECT_EQ(addrs.error().addr(), "nx.test");
  EXPECT_EQ(addrs.error().message(), "lookup nx.test on " + dns.server() + ": no such host");
}

TEST(CaresResolver, ServfailIsAServerFailure) {
  DnsResponder dns;
  dns.script("broken.test", reply(DnsScript::Reply::server_failure));
  CaresResolver resolver(asking(dns.server()));
  auto addrs = resolver.lookup(background(), "broken.test");
  ASSERT_FALSE(addrs);
  EXPECT_EQ(addrs.error().code(), ErrorCode::dns);
  EXPECT_EQ(addrs.error().dns_kind(), "server_failure");
  EXPECT_EQ(addrs.error().message(),
            "lookup broken.test on " + dns.server() + ": server misbehaving (SERVFAIL)");
}

TEST(CaresResolver, RefusedIsRefused) {
  DnsResponder dns;
  dns.script("closed.test", reply(DnsScript::Reply::refused));
  CaresResolver resolver(asking(dns.server()));
  auto addrs = resolver.lookup(background(), "closed.test");
  ASSERT_FALSE(addrs);
  EXPECT_EQ(addrs.error().code(), ErrorCode::dns);
  EXPECT_EQ(addrs.error().dns_kind(), "refused");
  EXPECT_EQ(addrs.error().message(),
            "lookup closed.test on " + dns.server() + ": server misbehaving (REFUSED)");
}

TEST(CaresResolver, ANameWithoutAddressRecordsIsNoAnswer) {
  DnsResponder dns;
  dns.script("empty.test", answer({}));
  CaresResolver resolver(asking(dns.server()));
  auto addrs = resolver.lookup(background(), "empty.test");
  ASSERT_FALSE(addrs);
  EXPECT_EQ(addrs.error().code(), ErrorCode::dns);
  EXPECT_EQ(addrs.error().dns_kind(), "no_answer");
}

TEST(CaresResolver, ASilentServerEndsTheLookupAtTheContextDeadline) {
  DnsResponder dns;
  dns.script("quiet.test", reply(DnsScript::Reply::silence));
  CaresResolver resolver(asking(dns.server()));  // c-ares alone would wait 5 s + 10 s
  const auto started = std::chrono::steady_clock::now();
  auto [ctx, cancel] = with_timeout(background(), 200ms);
  auto addrs = resolver.lookup(ctx, "quiet.test");
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(addrs);
  EXPECT_EQ(addrs.error().code(), ErrorCode::deadline_exceeded);
  EXPECT_EQ(addrs.error().message(), "lookup quiet.test: i/o timeout");
  EXPECT_GE(elapsed, 200ms);
  EXPECT_LT(elapsed, 200ms + scaled(250ms));
}

TEST(CaresResolver, CaresOwnTimeoutIsAnOperationTimeout) {
  DnsResponder dns;
  dns.script("quiet.test", reply(DnsScript::Reply::silence));
  CaresConfig config = asking(dns.server());
  config.try_timeout = 100ms;
  config.tries = 1;
  CaresResolver resolver(config);
  auto addrs = resolver.lookup(background(), "quiet.test");
  ASSERT_FALSE(addrs);
  EXPECT_EQ(addrs.error().code(), ErrorCode::timeout);
  EXPECT_EQ(addrs.error().dns_kind(), "timeout");
  EXPECT_EQ(addrs.error().op(), "dns");
  EXPECT_EQ(addrs.error().message(), "lookup quiet.test on " + dns.server() + ": i/o timeout");
}

TEST(CaresResolver, CancellingMidLookupReturnsAtOnce) {
  DnsResponder dns;
  DnsScript held = answer({ip("127.0.0.1")});
  held.hold = true;
  dns.script("slow.test", held);
  CaresResolver resolver(asking(dns.server()));
  auto [ctx, cancel] = with_cancel(background());
  std::chrono::steady_clock::time_point canceled_at;
  std::thread canceller([&, cancel = cancel] {
    ASSERT_TRUE(dns.wait_for_queries("slow.test", 1, scaled(5s)));
    canceled_at = std::chrono::steady_clock::now();
    cancel();
  });
  auto addrs = resolver.lookup(ctx, "slow.test");
  const auto returned_at = std::chrono::steady_clock::now();
  canceller.join();
  ASSERT_FALSE(addrs);
  EXPECT_EQ(addrs.error().code(), ErrorCode::canceled);
  EXPECT_EQ(addrs.error().message(), "lookup slow.test: operation was canceled");
  EXPECT_LT(returned_at - canceled_at, scaled(50ms));
}

TEST(CaresResolver, IpLiteralsAreAnsweredWithoutAQuery) {
  DnsResponder dns;
  CaresResolver resolver(asking(dns.server()));
  auto v4 = resolver.lookup_shared(background(), "127.0.0.1");
  auto v6 = resolver.lookup_shared(background(), "::1");
  ASSERT_TRUE(v4 && v6);
  EXPECT_EQ(strings(v4->addrs), (std::vector<std::string>{"127.0.0.1"}));
  EXPECT_EQ(strings(v6->addrs), (std::vector<std::string>{"::1"}));
  EXPECT_FALSE(v4->coalesced);
  EXPECT_EQ(dns.total_queries(), 0);
}

TEST(CaresResolver, GivenServersAreTheOnlyOnesAsked) {
  CaresConfig config;
  config.servers = {parse_dns_server("127.0.0.1:5353"), parse_dns_server("[::1]:5354")};
  CaresLookup lookup(config, "x.test");
  ASSERT_FALSE(lookup.outcome().has_value());
  EXPECT_EQ(describe(lookup.servers()), "127.0.0.1:5353,[::1]:5354");
}

// The hosts file through c-ares' $CARES_HOSTS hook, so the test controls its content.
class HostsFile {
 public:
  explicit HostsFile(std::string_view content) : dir_("hosts") {
    testing::write_file(dir_ / "hosts", content);
    ::setenv("CARES_HOSTS", (dir_ / "hosts").c_str(), 1);
  }
  ~HostsFile() { ::unsetenv("CARES_HOSTS"); }

 private:
  testing::TempDir dir_;
};

TEST(CaresResolver, HostsFileAnswersKeepTheFilesOrderWhileDnsAnswersAreSorted) {
  const HostsFile hosts("127.0.0.1 h.test\n::1 h.test\n127.0.0.2 h.test\n");
  DnsResponder dns;
  dns.script("h.test", answer({ip("127.0.0.1"), ip("::1"), ip("127.0.0.2")}));

  CaresConfig from_file = asking(dns.server());
  from_file.use_hosts_file = true;
  from_file.hosts_path_from_environment = true;
  auto file_order = CaresResolver(from_file).lookup(background(), "h.test");
  ASSERT_TRUE(file_order) << file_order.error().what();
  EXPECT_EQ(strings(*file_order), (std::vector<std::string>{"127.0.0.1", "::1", "127.0.0.2"}));
  EXPECT_EQ(dns.total_queries(), 0) << "a hosts-file hit asks no server";

  if (!testing::ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback to sort first";
  CaresConfig dns_only = from_file;
  dns_only.use_hosts_file = false;
  auto sorted = CaresResolver(dns_only).lookup(background(), "h.test");
  ASSERT_TRUE(sorted) << sorted.error().what();
  EXPECT_EQ(strings(*sorted), (std::vector<std::string>{"::1", "127.0.0.1", "127.0.0.2"}));
  EXPECT_EQ(dns.queries("h.test"), 2);
}

TEST(CaresResolver, TheSystemHostsFileIsReadFirstByDefault) {
  DnsResponder dns;
  ResolverOptions options;
  options.servers = {dns.server()};
  auto resolver = make_default_resolver(options);
  auto addrs = resolver->lookup(background(), "localhost");
  ASSERT_TRUE(addrs) << addrs.error().what();
  ASSERT_FALSE(addrs->empty());
  for (const IpAddress& addr : *addrs) EXPECT_TRUE(addr.is_loopback()) << addr.to_string();
  EXPECT_EQ(dns.total_queries(), 0);
}

TEST(CaresResolver, DnsmasqServesHostsStyleData) {
  if (!testing::Dnsmasq::available()) GTEST_SKIP() << "dnsmasq is not installed";
  testing::Dnsmasq dnsmasq("127.0.0.1 web.test\n::1 web.test\n127.0.0.1 v4.test\n");
  CaresResolver resolver(asking(dnsmasq.server()));

  auto v4 = resolver.lookup(background(), "v4.test");
  ASSERT_TRUE(v4) << v4.error().what() << "\n" << dnsmasq.log();
  EXPECT_EQ(strings(*v4), (std::vector<std::string>{"127.0.0.1"}));

  auto dual = resolver.lookup(background(), "web.test");
  ASSERT_TRUE(dual) << dual.error().what();
  EXPECT_EQ(dual->size(), 2u);
  if (testing::ipv6_loopback_available()) {
    EXPECT_EQ(dual->front().to_string(), "::1");
  }

  auto missing = resolver.lookup(background(), "nx.test");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().dns_kind(), "not_found");
  EXPECT_EQ(missing.error().message(), "lookup nx.test on " + dnsmasq.server() + ": no such host");

  auto elsewhere = resolver.lookup(background(), "example.org");
  ASSERT_FALSE(elsewhere);
  EXPECT_EQ(elsewhere.error().dns_kind(), "refused");
}

TEST(CaresResolver, NoServerListeningIsAServerFailure) {
  // A port nobody serves: the kernel answers with port unreachable.
  testing::UniqueFd placeholder(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(placeholder.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address),
            0);
  const std::string server = "127.0.0.1:" + std::to_string(testing::local_port(placeholder.get()));
  placeholder.reset();
  CaresConfig config = asking(server);
  config.try_timeout = 200ms;
  config.tries = 1;
  CaresResolver resolver(config);
  auto addrs = resolver.lookup(background(), "a.test");
  ASSERT_FALSE(addrs);
  // Where ICMP port-unreachable reaches the socket: refused at once; otherwise c-ares times out.
  EXPECT_TRUE(addrs.error().dns_kind() == "server_failure" || addrs.error().dns_kind() == "timeout")
      << addrs.error().what();
  EXPECT_NE(addrs.error().message().find("on " + server), std::string::npos)
      << addrs.error().what();
}

}  // namespace
}  // namespace httptrace::net
