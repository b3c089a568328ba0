// Phases, marks and the other vocabularies of timeline.md for requests that got a response,
// scenario by scenario: the absent hooks, the ordering invariants and the exact-sum rule.
#include "timeline/derive.hpp"

#include <vector>

#include <gtest/gtest.h>

#include "timeline/phase_checks.hpp"

namespace httptrace {
namespace {

using testing::expect_consistent;
using testing::FakeConn;
using testing::fresh_plain;
using testing::kConn;
using testing::reused;
using testing::Script;
using testing::us;

TEST(Phases, FreshPlainRequestToAnIpLiteralHasNoDnsAndNoTls) {
  Script s;
  fresh_plain(s);
  s.at(1.050).wrote_request();
  s.at(3.050).first_byte();
  s.at(3.100).respond();
  s.at(4.000).mark_end();

  Phases p = s.timeline().phases(0);
  EXPECT_EQ(us(p.pool_wait), 30);
  EXPECT_FALSE(p.dns);
  EXPECT_EQ(us(p.connect), 1000);
  EXPECT_FALSE(p.tls);
  EXPECT_EQ(us(p.send), 20);
  EXPECT_EQ(us(p.wait), 2000);
  EXPECT_EQ(us(p.receive), 950);
  EXPECT_EQ(us(p.total), 4000);

  Marks m = s.timeline().marks(0);
  EXPECT_FALSE(m.namelookup);
  EXPECT_EQ(us(m.connect), 1020);
  EXPECT_FALSE(m.appconnect);
  EXPECT_EQ(us(m.pretransfer), 1030);
  EXPECT_EQ(us(m.posttransfer), 1050);
  EXPECT_EQ(us(m.starttransfer), 3050);
  EXPECT_EQ(us(m.total), 4000);
  expect_consistent(s.timeline(), 0);
}

TEST(Phases, LookupByNameFillsDnsAndNamelookup) {
  Script s;
  s.at(0).start("GET", "http://example.test:8080/");
  s.at(0.010).get_conn("example.test:8080");
  s.at(0.020).dns_start("example.test");
  s.at(0.520).dns_done({IpAddress::parse("127.0.0.1").value()});
  s.at(0.530).connect_start();
  s.at(1.530).connect_done();
  s.at(1.540).got_conn(kConn);
  s.at(1.560).wrote_request();
  s.at(2.560).first_byte();
  s.at(2.600).respond();
  s.at(3.000).mark_end();

  Phases p = s.timeline().phases(0);
  EXPECT_EQ(us(p.dns), 500);
  EXPECT_EQ(us(p.connect), 1000);
  EXPECT_EQ(us(p.pool_wait),
            40);  // get_conn → dns_start, dns_done → connect_start, connect_done → got_conn
  Marks m = s.timeline().marks(0);
  EXPECT_EQ(us(m.namelookup), 520);
  EXPECT_EQ(us(m.connect), 1530);
  expect_consistent(s.timeline(), 0);
}

// A fresh HTTPS request by name: every phase present.
void fresh_tls(Script& s) {
  TLSConnectionState state;
  state.handshake_complete = true;
  state.version = 0x0304;
  state.version_name = "TLS 1.3";
  s.at(0).start("GET", "https://example.test/");
  s.at(0.010).get_conn("example.test:443");
  s.at(0.020).dns_start("example.test");
  s.at(0.520).dns_done({IpAddress::parse("127.0.0.1").value()});
  s.at(0.530).connect_start("127.0.0.1:443");
  s.at(1.530).connect_done("127.0.0.1:443");
  s.at(1.540).tls_start();
  s.at(4.540).tls_done(state);
  s.at(4.550).got_conn(kConn);
  s.at(4.560).wrote_headers();
  s.at(4.570).wrote_request();
  s.at(6.570).first_byte();
  s.at(6.600).respond();
  s.at(7.000).mark_end();
}

TEST(Phases, FreshTlsRequestHasEveryPhase) {
  Script s;
  fresh_tls(s);
  Phases p = s.timeline().phases(0);
  EXPECT_EQ(us(p.pool_wait), 50);
  EXPECT_EQ(us(p.dns), 500);
  EXPECT_EQ(us(p.connect), 1000);
  EXPECT_EQ(us(p.tls), 3000);
  EXPECT_EQ(us(p.send), 20);
  EXPECT_EQ(us(p.wait), 2000);
  EXPECT_EQ(us(p.receive), 430);
  EXPECT_EQ(us(p.total), 7000);
  Marks m = s.timeline().marks(0);
  EXPECT_EQ(us(m.namelookup), 520);
  EXPECT_EQ(us(m.connect), 1530);
  EXPECT_EQ(us(m.appconnect), 4540);
  EXPECT_EQ(us(m.pretransfer), 4550);
  expect_consistent(s.timeline(), 0);
}

TEST(Vocabularies, K6TimingsOfAFreshTlsRequest) {
  Script s;
  fresh_tls(s);
  K6Timings k = s.timeline().k6(0);
  EXPECT_EQ(us(k.blocked), 4540);  // get_conn → got_conn: k6 counts DNS, connect and TLS in it
  EXPECT_EQ(us(k.connecting), 1000);
  EXPECT_EQ(us(k.tls_handshaking), 3000);
  EXPECT_EQ(us(k.sending), 20);
  EXPECT_EQ(us(k.waiting), 2000);
  EXPECT_EQ(us(k.receiving), 430);
  EXPECT_EQ(us(k.duration), 2450);
}

TEST(Vocabularies, HarTimingsCountSslInsideConnectAndSumToTotal) {
  Script s;
  fresh_tls(s);
  HarTimings h = s.timeline().har_timings(0);
  EXPECT_EQ(us(h.blocked), 50);
  EXPECT_EQ(us(h.dns), 500);
  EXPECT_EQ(us(h.connect), 4000);
  EXPECT_EQ(us(h.ssl), 3000);
  EXPECT_EQ(us(h.send), 20);
  EXPECT_EQ(us(h.wait), 2000);
  EXPECT_EQ(us(h.receive), 430);
  EXPECT_EQ(us(h.time), 7000);
}

TEST(Phases, ReusedConnectionHasNoDnsConnectOrTls) {
  Script s;
  reused(s);
  Phases p = s.timeline().phases(0);
  EXPECT_EQ(us(p.pool_wait), 15);
  EXPECT_FALSE(p.dns);
  EXPECT_FALSE(p.connect);
  EXPECT_FALSE(p.tls);
  EXPECT_EQ(us(p.send), 15);
  EXPECT_EQ(us(p.wait), 500);
  EXPECT_EQ(us(p.receive), 70);
  Marks m = s.timeline().marks(0);
  EXPECT_FALSE(m.namelookup);
  EXPECT_FALSE(m.connect);
  EXPECT_FALSE(m.appconnect);
  EXPECT_EQ(us(m.pretransfer), 15);
  expect_consistent(s.timeline(), 0);

  K6Timings k = s.timeline().k6(0);
  EXPECT_EQ(us(k.blocked), 10);
  EXPECT_FALSE(k.connecting);
  EXPECT_FALSE(k.tls_handshaking);
  HarTimings h = s.timeline().har_timings(0);
  EXPECT_EQ(h.dns, -1);
  EXPECT_EQ(h.connect, -1);
  EXPECT_EQ(h.ssl, -1);
  EXPECT_EQ(us(h.blocked), 15);
}

TEST(Phases, DialStampsOfAnAttemptThatGotAReusedConnectionBelongToNoPhase) {
  Script s;
  s.at(0).start();
  s.at(0.005).get_conn();
  s.at(0.006).connect_start();  // a dial abandoned for a freed connection (k6's case)
  s.at(0.010).got_conn(kConn, true, false);
  s.at(0.020).wrote_request();
  s.at(0.030).first_byte();
  s.at(0.040).respond();
  s.at(0.050).mark_end();
  Phases p = s.timeline().phases(0);
  EXPECT_FALSE(p.connect);
  EXPECT_EQ(us(p.pool_wait), 10);
  expect_consistent(s.timeline(), 0);
}

TEST(Phases, UploadSpendsItsBodyInSend) {
  Script s;
  fresh_plain(s);
  s.at(51.040).wrote_request();
  s.at(52.040).first_byte();
  s.at(52.100).respond();
  s.at(52.500).mark_end();
  Phases p = s.timeline().phases(0);
  EXPECT_EQ(us(p.send), 50010);
  EXPECT_EQ(us(p.wait), 1000);
  EXPECT_EQ(us(p.receive), 460);
  Marks m = s.timeline().marks(0);
  EXPECT_EQ(us(m.posttransfer), 51040);
  EXPECT_EQ(us(m.starttransfer), 52040);
  expect_consistent(s.timeline(), 0);
}

TEST(Phases, HundredContinueWaitsZeroAndPosttransferMayPassStarttransfer) {
  Script s;
  s.at(0).start("POST", "http://127.0.0.1:8080/upload");
  s.at(0.010).get_conn();
  s.at(0.020).connect_start();
  s.at(1.020).connect_done();
  s.at(1.030).got_conn(kConn);
  s.at(1.035).field("Expect", {"100-continue"});
  s.at(1.040).wrote_headers();
  s.at(1.045).wait_100_continue();
  s.at(2.000).first_byte().got_100_continue().got_1xx(100);
  s.at(12.000).wrote_request();
  s.at(15.000).respond();
  s.at(16.000).mark_end();

  Phases p = s.timeline().phases(0);
  EXPECT_EQ(us(p.send), 970);  // got_conn → the first byte (the 100), which came first
  EXPECT_EQ(us(p.wait), 0);
  EXPECT_EQ(us(p.receive), 14000);
  Marks m = s.timeline().marks(0);
  EXPECT_EQ(us(m.posttransfer), 12000);
  EXPECT_EQ(us(m.starttransfer), 2000);
  expect_consistent(s.timeline(), 0);
}

TEST(Phases, EarlyReplyBeforeTheRequestWasWrittenWaitsZeroNeverNegative) {
  Script s;
  fresh_plain(s);
  s.at(1.500).first_byte();
  s.at(1.550).wrote_request();  // the body was not sent: the server had answered
  s.at(1.600).respond(417, "Expectation Failed");
  s.at(1.700).mark_end();
  Phases p = s.timeline().phases(0);
  EXPECT_EQ(us(p.send), 470);
  EXPECT_EQ(us(p.wait), 0);
  EXPECT_EQ(us(p.receive), 200);
  EXPECT_EQ(us(s.timeline().k6(0).waiting), 0);
  expect_consistent(s.timeline(), 0);
}

TEST(Phases, RetriedRequestTakesItsPhasesFromTheLastAttempt) {
  Script s;
  const FakeConn dead(3, "127.0.0.1:50000", "127.0.0.1:8080");
  s.at(0).start();
  s.at(0.010).get_conn();
  s.at(0.020).got_conn(dead, true, true, std::chrono::seconds(5));
  s.at(0.025).field("Host", {"127.0.0.1:8080"});
  s.at(0.030).wrote_headers();
  s.at(0.040).wrote_request();
  // The idle connection was dead: no response byte, no hook; the Transport retries.
  s.at(5.000).get_conn();
  s.at(5.010).connect_start();
  s.at(6.010).connect_done();
  s.at(6.020).got_conn(kConn);
  s.at(6.025).field("Host", {"127.0.0.1:8080"});
  s.at(6.030).wrote_headers();
  s.at(6.040).wrote_request();
  s.at(8.040).first_byte();
  s.at(8.100).respond();
  s.at(9.000).mark_end();

  Phases p = s.timeline().phases(0);
  EXPECT_FALSE(p.dns);
  EXPECT_EQ(us(p.connect), 1000);
  EXPECT_EQ(us(p.pool_wait), 5020);  // the failed attempt waited here
  EXPECT_EQ(us(p.send), 20);
  EXPECT_EQ(us(p.wait), 2000);
  EXPECT_EQ(us(p.receive), 960);
  EXPECT_EQ(us(s.timeline().k6(0).blocked), 1020);
  EXPECT_EQ(s.timeline().facts(0).attempts, 2u);
  expect_consistent(s.timeline(), 0);
}

TEST(Phases, HappyEyeballsConnectSpansTheFailedAttemptAndTheSuccess) {
  Script s;
  const Error refused(ErrorCode::connection_refused,
                      "dial tcp [::1]:8080: connect: connection refused");
  s.at(0).start("GET", "http://localhost:8080/");
  s.at(0.005).get_conn("localhost:8080");
  s.at(0.010).dns_start("localhost");
  s.at(0.020).dns_done({IpAddress::parse("::1").value(), IpAddress::parse("127.0.0.1").value()});
  s.at(0.030).connect_start("[::1]:8080");
  s.at(0.040).connect_done("[::1]:8080", &refused);
  s.at(0.050).connect_start("127.0.0.1:8080");
  s.at(1.050).connect_done("127.0.0.1:8080");
  s.at(1.060).got_conn(kConn);
  s.at(1.070).wrote_request();
  s.at(2.070).first_byte();
  s.at(2.100).respond();
  s.at(2.500).mark_end();

  Phases p = s.timeline().phases(0);
  EXPECT_EQ(us(p.dns), 10);
  EXPECT_EQ(us(p.connect), 1020);
  EXPECT_EQ(us(p.pool_wait), 30);
  EXPECT_EQ(us(s.timeline().marks(0).connect), 1050);
  expect_consistent(s.timeline(), 0);
}

TEST(Phases, LosingRacerAfterTheWinnerEndsNothing) {
  Script s;
  const Error canceled(ErrorCode::canceled, "dial tcp [::1]:8080: operation was canceled");
  s.at(0).start();
  s.at(0.005).get_conn();
  s.at(0.010).connect_start("[::1]:8080");
  s.at(0.300).connect_start("127.0.0.1:8080");
  s.at(0.400).connect_done("127.0.0.1:8080");
  s.at(0.410).connect_done("[::1]:8080", &canceled);
  s.at(0.420).got_conn(kConn);
  s.at(0.430).wrote_request();
  s.at(0.530).first_byte();
  s.at(0.540).respond();
  s.at(0.600).mark_end();
  EXPECT_EQ(us(s.timeline().phases(0).connect), 390);
  expect_consistent(s.timeline(), 0);
}

// A 302 on a fresh connection, then the target on the same, reused connection.
void redirected(Script& s) {
  s.at(0).start("GET", "http://127.0.0.1:8080/old");
  s.at(0.010).get_conn();
  s.at(0.020).connect_start();
  s.at(1.020).connect_done();
  s.at(1.030).got_conn(kConn);
  s.at(1.050).wrote_request();
  s.at(2.050).first_byte();
  s.at(2.100).respond(testing::make_response(302, "Found", {{"Location", "/new"}}, 0));
  s.at(2.200).put_idle_conn();
  s.at(3.000).start("GET", "http://127.0.0.1:8080/new");
  s.at(3.010).get_conn();
  s.at(3.020).got_conn(kConn, true, true, std::chrono::microseconds(800));
  s.at(3.040).wrote_request();
  s.at(4.040).first_byte();
  s.at(4.100).respond(testing::make_response(200, "OK", {{"Content-Type", "text/plain"}}, 12));
  s.at(5.000).mark_end(12);
}

TEST(Phases, RedirectedRequestHasOneHopEachWithTheirBoundaries) {
  Script s;
  redirected(s);
  Timeline& t = s.timeline();
  ASSERT_EQ(t.hops(), 2u);
  Phases first = t.phases(0);
  EXPECT_EQ(us(first.connect), 1000);
  EXPECT_EQ(us(first.receive), 950);  // to the next hop's start: the drain and redirect handling
  EXPECT_EQ(us(first.total), 3000);
  Phases last = t.phases(1);
  EXPECT_FALSE(last.connect);
  EXPECT_EQ(us(last.pool_wait), 20);
  EXPECT_EQ(us(last.total), 2000);
  EXPECT_EQ(us(t.redirect_ms()), 3000);
  EXPECT_EQ(t.stamps(0).end, t.stamps(1).start);
  EXPECT_EQ(t.stamps(1).start, s.clock().steady_at_ms(3.0));
  expect_consistent(t, 0);
  expect_consistent(t, 1);
}

TEST(Phases, SingleHopHasNoRedirectTime) {
  Script s;
  reused(s);
  EXPECT_EQ(s.timeline().redirect_ms(), 0);
}

}  // namespace
}  // namespace httptrace
