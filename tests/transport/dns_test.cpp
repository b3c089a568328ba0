// Names through the Transport (the DNS issue's done-when): dnsmasq on loopback with its own
// hosts data, our scripted responder for delays and failures; trace-semantics §5 (b), (b2),
// (b3), (b4), (h). Nothing is ever asked of a non-loopback server: every transport here is
// given its servers explicitly.
#include "httptrace/transport.hpp"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "support/dns_message.hpp"
#include "support/dns_responder.hpp"
#include "support/dnsmasq.hpp"
#include "support/script_server.hpp"
#include "transport/fixture.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;
using Lines = std::vector<std::string>;

constexpr std::string_view kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

ScriptServer ok_server(ScriptServerOptions options = {}) {
  return ScriptServer(
      [](ServerConn& conn) {
        while (conn.read_request()) conn.write(kOk);
      },
      options);
}

std::shared_ptr<Transport> transport_asking(const std::string& server, TransportOptions options = test_options()) {
  options.dns_servers = {server};
  return make_transport(std::move(options));
}

class Dns : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Dnsmasq::available()) GTEST_SKIP() << "dnsmasq is not installed";
  }
};

// (b) A name with an A record only: the DNS hooks before the connect pair; Host carries the
// name.
TEST_F(Dns, NameWithOneAddressFiresDnsHooksThenConnects) {
  ScriptServer server = ok_server();
  Dnsmasq dns("127.0.0.1 app.test\n");
  auto transport = transport_asking(dns.server());
  HookRecorder hooks;
  const std::string port = std::to_string(server.port());
  auto response = transport->round_trip(traced("GET", "http://app.test:" + port + "/", hooks));
  ASSERT_TRUE(response) << response.error().what() << "\n" << dns.log();
  Lines lines = hooks.lines();
  ASSERT_GE(lines.size(), 6u);
  EXPECT_EQ(Lines(lines.begin(), lines.begin() + 6),
            (Lines{"get_conn app.test:" + port, "dns_start app.test", "dns_done [127.0.0.1] coalesced=0",
                   "connect_start tcp 127.0.0.1:" + port, "connect_done tcp 127.0.0.1:" + port,
                   "got_conn reused=0 was_idle=0"}));
  EXPECT_EQ(hooks.lines_starting("wrote_header_field Host"), (Lines{"wrote_header_field Host=[app.test:" + port + "]"}));
}

// (b2) AAAA and A, only 127.0.0.1 listening: ::1 refuses, the fallback starts at once.
TEST_F(Dns, DualStackFallsBackWhenTheFirstFamilyRefuses) {
  ScriptServer server = ok_server();  // 127.0.0.1 only
  Dnsmasq dns("127.0.0.1 dual.test\n::1 dual.test\n");
  auto options = test_options();
  options.fallback_delay = 10s;  // a slow fallback would show: it must not wait for this
  auto transport = transport_asking(dns.server(), options);
  HookRecorder hooks;
  const std::string port = std::to_string(server.port());
  auto start = std::chrono::steady_clock::now();
  auto response = transport->round_trip(traced("GET", "http://dual.test:" + port + "/", hooks));
  ASSERT_TRUE(response) << response.error().what();
  EXPECT_LT(std::chrono::steady_clock::now() - start, scaled(1s));
  Lines lines = hooks.lines();
  ASSERT_GE(lines.size(), 8u);
  EXPECT_EQ(Lines(lines.begin() + 2, lines.begin() + 8),
            (Lines{"dns_done [::1 127.0.0.1] coalesced=0", "connect_start tcp [::1]:" + port,
                   "connect_done tcp [::1]:" + port + " err=connection_refused", "connect_start tcp 127.0.0.1:" + port,
                   "connect_done tcp 127.0.0.1:" + port, "got_conn reused=0 was_idle=0"}));
  EXPECT_EQ(hooks.remote_addrs().at(0), "127.0.0.1:" + port);
}

// (b3) Both families listening: only the primary is tried.
TEST_F(Dns, DualStackUsesThePrimaryWhenItAccepts) {
  ScriptServerOptions both;
  both.ipv6 = true;
  ScriptServer server = ok_server(both);
  Dnsmasq dns("127.0.0.1 both.test\n::1 both.test\n");
  auto transport = transport_asking(dns.server());
  HookRecorder hooks;
  const std::string port = std::to_string(server.port());
  auto response = transport->round_trip(traced("GET", "http://both.test:" + port + "/", hooks));
  ASSERT_TRUE(response) << response.error().what();
  EXPECT_EQ(hooks.lines_starting("connect_"),
            (Lines{"connect_start tcp [::1]:" + port, "connect_done tcp [::1]:" + port}));
}

// (h) NXDOMAIN: dns_done with no address and the error; no connect hooks; a typed error naming
// the host and the server asked.
TEST_F(Dns, UnknownNameIsATypedErrorWithoutConnectHooks) {
  Dnsmasq dns("127.0.0.1 app.test\n");
  auto transport = transport_asking(dns.server());
  HookRecorder hooks;
  auto response = transport->round_trip(traced("GET", "http://nx.test:8080/", hooks));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::dns);
  EXPECT_EQ(response.error().dns_kind(), "not_found");
  std::string what = response.error().what();
  EXPECT_NE(what.find("nx.test"), std::string::npos) << what;
  EXPECT_NE(what.find(dns.server()), std::string::npos) << what;
  EXPECT_EQ(hooks.lines(), (Lines{"get_conn nx.test:8080", "dns_start nx.test", "dns_done [] coalesced=0 err=dns"}));
}

// A server that never answers: the error comes at the request's deadline, not later.
TEST_F(Dns, SilentServerFailsAtTheDeadline) {
  DnsResponder responder;
  DnsScript silent;
  silent.reply = DnsScript::Reply::silence;
  responder.script("quiet.test", silent);
  auto transport = transport_asking(responder.server());
  auto [ctx, cancel] = with_timeout(background(), 300ms);
  HookRecorder hooks;
  auto start = std::chrono::steady_clock::now();
  auto response = transport->round_trip(traced("GET", "http://quiet.test:8080/", hooks, {}, ctx));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::deadline_exceeded);
  EXPECT_LE(std::chrono::steady_clock::now() - start, 300ms + scaled(250ms));
  EXPECT_EQ(hooks.lines_starting("dns_done"), (Lines{"dns_done [] coalesced=0 err=deadline_exceeded"}));
}

// (b4) Two concurrent requests for one name under a delayed answer: one query on the wire,
// both dns_done coalesced, and each request dials its own connection.
TEST_F(Dns, ConcurrentLookupsOfOneNameAreCoalesced) {
  ScriptServer server = ok_server();
  DnsResponder responder;
  DnsScript held;
  held.addresses = {*IpAddress::parse("127.0.0.1")};
  held.hold = true;
  responder.script("shared.test", held);
  auto transport = transport_asking(responder.server());
  const std::string url = "http://shared.test:" + std::to_string(server.port()) + "/";
  HookRecorder a, b;
  std::atomic<int> started{0};
  auto run = [&](HookRecorder& hooks) {
    auto request = traced("GET", url, hooks);
    ++started;
    auto response = transport->round_trip(request);
    EXPECT_TRUE(response) << (response ? "" : response.error().what());
    if (response) body_of(*response);
  };
  std::thread first([&] { run(a); });
  std::thread second([&] { run(b); });
  while (a.count("dns_start") + b.count("dns_start") < 2) std::this_thread::yield();
  ASSERT_TRUE(responder.wait_for_queries("shared.test", 1, scaled(2s)));
  responder.release("shared.test");
  first.join();
  second.join();
  EXPECT_EQ(a.lines_starting("dns_done"), (Lines{"dns_done [127.0.0.1] coalesced=1"}));
  EXPECT_EQ(b.lines_starting("dns_done"), (Lines{"dns_done [127.0.0.1] coalesced=1"}));
  EXPECT_EQ(responder.queries("shared.test", kTypeA), 1);
  EXPECT_EQ(a.count("connect_start") + b.count("connect_start"), 2u);
  EXPECT_EQ(server.connections_accepted(), 2u);
}

// Cancellation mid-lookup: the request returns canceled promptly.
TEST_F(Dns, CancelDuringTheLookupReturnsPromptly) {
  DnsResponder responder;
  DnsScript held;
  held.addresses = {*IpAddress::parse("127.0.0.1")};
  held.hold = true;
  responder.script("held.test", held);
  auto transport = transport_asking(responder.server());
  auto [ctx, cancel] = with_cancel(background());
  std::thread canceller([&, cancel = cancel] {
    responder.wait_for_queries("held.test", 1, scaled(2s));
    cancel();
  });
  auto start = std::chrono::steady_clock::now();
  auto response = transport->round_trip(Request::make("GET", "http://held.test:8080/")->with_context(ctx));
  canceller.join();
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::canceled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, scaled(2s));
  responder.release("held.test");
}

// --resolve (resolve_overrides) and IP literals: no DNS hooks at all.
TEST_F(Dns, OverridesAndLiteralsSkipTheLookup) {
  ScriptServer server = ok_server();
  auto options = test_options();
  const std::string port = std::to_string(server.port());
  options.resolve_overrides["pinned.test:" + port] = {*IpAddress::parse("127.0.0.1")};
  options.dns_servers = {"127.0.0.1:1"};  // never asked
  auto transport = make_transport(options);
  HookRecorder hooks;
  ASSERT_TRUE(transport->round_trip(traced("GET", "http://pinned.test:" + port + "/", hooks)));
  ASSERT_TRUE(transport->round_trip(traced("GET", server.url("/"), hooks)));
  EXPECT_EQ(hooks.count("dns_"), 0u);
}

// -4 / -6: the family filter.
TEST_F(Dns, FamilyFilterUsesOnlyTheChosenFamily) {
  ScriptServerOptions both;
  both.ipv6 = true;
  ScriptServer server = ok_server(both);
  Dnsmasq dns("127.0.0.1 both.test\n::1 both.test\n");
  auto options = test_options();
  options.ip_family = IpFamily::v4;
  auto transport = transport_asking(dns.server(), options);
  HookRecorder hooks;
  const std::string port = std::to_string(server.port());
  ASSERT_TRUE(transport->round_trip(traced("GET", "http://both.test:" + port + "/", hooks)));
  EXPECT_EQ(hooks.lines_starting("connect_start"), (Lines{"connect_start tcp 127.0.0.1:" + port}));
}

}  // namespace
}  // namespace httptrace::testing
