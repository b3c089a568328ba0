// The facts the hooks carried, per hop: connection, TLS and its certificate, DNS, dial
// attempts, the request as written and the response head.
#include "timeline/facts.hpp"

#include <gtest/gtest.h>

#include "timeline/test_certificate.hpp"
#include "timeline/timeline_script.hpp"

namespace httptrace {
namespace {

using testing::FakeConn;
using testing::Script;

std::shared_ptr<TLSConnectionState> tls_state(bool did_resume = false) {
  auto state = std::make_shared<TLSConnectionState>();
  state->handshake_complete = true;
  state->version = 0x0304;
  state->version_name = "TLS 1.3";
  state->cipher_suite = 0x1301;
  state->cipher_suite_name = "TLS_AES_128_GCM_SHA256";
  state->server_name = "example.test";
  state->negotiated_protocol = "http/1.1";
  state->did_resume = did_resume;
  state->peer_certificates.push_back(testing::make_certificate_der({}));
  return state;
}

TEST(Facts, GotConnFactsAreReadFromTheConnDuringTheCall) {
  Script s;
  {
    FakeConn conn(12, "[::1]:50000", "[::1]:8443");
    s.at(0).start();
    s.at(1).get_conn();
    s.at(2).got_conn(conn, true, true, std::chrono::milliseconds(1500));
  }  // the Conn is gone: the facts were copied
  HopFacts f = s.timeline().facts(0);
  ASSERT_TRUE(f.conn);
  EXPECT_EQ(f.conn->id, 12u);
  EXPECT_TRUE(f.conn->reused);
  EXPECT_TRUE(f.conn->was_idle);
  EXPECT_EQ(f.conn->idle_time, std::chrono::milliseconds(1500));
  EXPECT_EQ(f.conn->local_addr, "[::1]:50000");
  EXPECT_EQ(f.conn->remote_addr, "[::1]:8443");
  EXPECT_FALSE(f.tls);
  EXPECT_EQ(s.timeline().events(0)[2].detail,
            "reused idle 1500.000ms conn 12 [::1]:50000 -> [::1]:8443");
}

TEST(Facts, TlsFactsAndTheLeafCertificateOfAFreshHandshake) {
  Script s;
  auto state = tls_state();
  FakeConn conn(3, "127.0.0.1:50000", "127.0.0.1:8443", state);
  s.at(0).start("GET", "https://example.test:8443/");
  s.at(1).get_conn("example.test:8443");
  s.at(2).connect_start("127.0.0.1:8443");
  s.at(3).connect_done("127.0.0.1:8443");
  s.at(4).tls_start();
  s.at(5).tls_done(*state);
  s.at(6).got_conn(conn);
  HopFacts f = s.timeline().facts(0);
  ASSERT_TRUE(f.tls);
  EXPECT_EQ(f.tls->version, 0x0304);
  EXPECT_EQ(f.tls->version_name, "TLS 1.3");
  EXPECT_EQ(f.tls->cipher_suite, 0x1301);
  EXPECT_EQ(f.tls->cipher_suite_name, "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(f.tls->server_name, "example.test");
  EXPECT_EQ(f.tls->negotiated_protocol, "http/1.1");
  EXPECT_FALSE(f.tls->did_resume);
  ASSERT_TRUE(f.tls->leaf);
  EXPECT_EQ(f.tls->leaf->subject, "CN=example.test,O=Example");
  EXPECT_EQ(f.tls->leaf->issuer, "CN=httptrace test CA");
  using namespace std::chrono;
  EXPECT_EQ(f.tls->leaf->not_after, sys_days(2030y / January / 2) + 3h + 4min + 5s);
  EXPECT_EQ(s.timeline().events(0)[5].detail,
            "TLS 1.3 TLS_AES_128_GCM_SHA256 alpn=http/1.1 sni=example.test");
}

TEST(Facts, AReusedTlsConnectionFindsItsCertificateInAnEarlierHop) {
  Script s;
  auto state = tls_state();
  FakeConn conn(3, "127.0.0.1:50000", "127.0.0.1:8443", state);
  s.at(0).start("GET", "https://example.test:8443/old");
  s.at(1).get_conn("example.test:8443");
  s.at(2).connect_start("127.0.0.1:8443");
  s.at(3).connect_done("127.0.0.1:8443");
  s.at(4).tls_start();
  s.at(5).tls_done(*state);
  s.at(6).got_conn(conn);
  s.at(7).first_byte();
  s.at(8).respond(301, "Moved Permanently");
  s.at(9).start("GET", "https://example.test:8443/new");
  s.at(10).get_conn("example.test:8443");
  s.at(11).got_conn(conn, true, true);
  HopFacts f = s.timeline().facts(1);
  ASSERT_TRUE(f.tls);
  EXPECT_EQ(f.tls->version_name, "TLS 1.3");
  ASSERT_TRUE(f.tls->leaf);
  EXPECT_EQ(f.tls->leaf->subject, "CN=example.test,O=Example");
}

TEST(Facts, AReusedTlsConnectionFromAnotherTimelineHasNoCertificate) {
  Script s;
  FakeConn conn(4, "127.0.0.1:50000", "127.0.0.1:8443", tls_state(true));
  s.at(0).start("GET", "https://example.test:8443/");
  s.at(1).get_conn("example.test:8443");
  s.at(2).got_conn(conn, true, true);
  HopFacts f = s.timeline().facts(0);
  ASSERT_TRUE(f.tls);
  EXPECT_TRUE(f.tls->did_resume);
  EXPECT_FALSE(f.tls->leaf);
}

TEST(Facts, FailedHandshakeIsKeptAsAnError) {
  Script s;
  const Error untrusted(ErrorCode::tls, "x509: certificate signed by unknown authority");
  s.at(0).start("GET", "https://example.test/");
  s.at(1).get_conn("example.test:443");
  s.at(2).connect_start("127.0.0.1:443");
  s.at(3).connect_done("127.0.0.1:443");
  s.at(4).tls_start();
  s.at(5).tls_done(TLSConnectionState{}, &untrusted);
  s.at(6).fail(untrusted);
  HopFacts f = s.timeline().facts(0);
  EXPECT_FALSE(f.tls);
  EXPECT_EQ(f.tls_errors,
            (std::vector<std::string>{"x509: certificate signed by unknown authority"}));
  EXPECT_FALSE(s.timeline().phases(0).tls);
  EXPECT_TRUE(s.timeline().events(0)[5].failed);
  EXPECT_EQ(s.timeline().events(0)[5].detail, "x509: certificate signed by unknown authority");
}

TEST(Facts, DnsFactsAndEveryConnectAttempt) {
  Script s;
  const Error refused(ErrorCode::connection_refused, "connection refused");
  s.at(0).start("GET", "http://localhost:8080/");
  s.at(1).get_conn("localhost:8080");
  s.at(2).dns_start("localhost");
  s.at(3).dns_done({IpAddress::parse("::1").value(), IpAddress::parse("127.0.0.1").value()},
                   nullptr, true);
  s.at(4).connect_start("[::1]:8080");
  s.at(5).connect_done("[::1]:8080", &refused);
  s.at(6).connect_start("127.0.0.1:8080");
  s.at(7).connect_done("127.0.0.1:8080");
  HopFacts f = s.timeline().facts(0);
  ASSERT_TRUE(f.dns);
  EXPECT_EQ(f.dns->host, "localhost");
  EXPECT_TRUE(f.dns->done);
  EXPECT_TRUE(f.dns->coalesced);
  EXPECT_FALSE(f.dns->err);
  ASSERT_EQ(f.dns->addrs.size(), 2u);
  EXPECT_EQ(f.dns->addrs[0].to_string(), "::1");
  EXPECT_EQ(f.dns->addrs[1].to_string(), "127.0.0.1");
  ASSERT_EQ(f.connect_attempts.size(), 2u);
  EXPECT_EQ(f.connect_attempts[0].addr, "[::1]:8080");
  EXPECT_EQ(f.connect_attempts[0].network, "tcp");
  EXPECT_EQ(f.connect_attempts[0].start, s.clock().steady_at_ms(4));
  EXPECT_EQ(f.connect_attempts[0].done, s.clock().steady_at_ms(5));
  EXPECT_EQ(f.connect_attempts[0].err, "connection refused");
  EXPECT_EQ(f.connect_attempts[1].addr, "127.0.0.1:8080");
  EXPECT_FALSE(f.connect_attempts[1].err);
}

TEST(Facts, DnsErrorAndUnfinishedConnect) {
  Script s;
  const Error nx(ErrorCode::dns, "lookup nx.test: no such host");
  s.at(0).start();
  s.at(1).get_conn();
  s.at(2).dns_start("nx.test");
  s.at(3).dns_done({}, &nx);
  s.at(4).connect_start("10.0.0.1:80");
  HopFacts f = s.timeline().facts(0);
  EXPECT_EQ(f.dns->err, "lookup nx.test: no such host");
  EXPECT_TRUE(f.dns->addrs.empty());
  ASSERT_EQ(f.connect_attempts.size(), 1u);
  EXPECT_FALSE(f.connect_attempts[0].done);
}

TEST(Facts, WriteErrorAndPoolRefusal) {
  Script s;
  const Error broken(ErrorCode::connection_reset, "write: broken pipe");
  const Error too_many(ErrorCode::pool, "http: putIdleConn: too many idle connections for host");
  FakeConn conn(1, "127.0.0.1:1", "127.0.0.1:2");
  s.at(0).start();
  s.at(1).get_conn();
  s.at(2).got_conn(conn);
  s.at(3).wrote_request(&broken);
  EXPECT_EQ(s.timeline().facts(0).write_error, "write: broken pipe");
  s.at(4).first_byte();
  s.at(5).respond();
  s.at(6).put_idle_conn(&too_many);
  HopFacts f = s.timeline().facts(0);
  EXPECT_FALSE(f.pooled);
  EXPECT_EQ(f.pool_refusal, "http: putIdleConn: too many idle connections for host");
}

TEST(Facts, TheRequestAsWrittenWithItsRedactedUrl) {
  Script s;
  s.at(0).start(Request::make("POST", "http://user:pw@127.0.0.1:8080/p?a=1",
                              RequestBody::from_string("hello"))
                    .value());
  s.at(1).get_conn();
  s.at(2).field("Host", {"127.0.0.1:8080"}).field("Content-Length", {"5"}).field("X-Empty", {});
  auto request = s.timeline().request(0);
  ASSERT_TRUE(request);
  EXPECT_EQ(request->method, "POST");
  EXPECT_EQ(request->url, "http://user:***@127.0.0.1:8080/p?a=1");
  EXPECT_EQ(request->body_size, 5u);
  ASSERT_EQ(request->fields.size(), 3u);
  EXPECT_EQ(request->fields[1].key, "Content-Length");
  EXPECT_EQ(request->fields[1].values, (std::vector<std::string>{"5"}));
  EXPECT_TRUE(request->fields[2].values.empty());
}

TEST(Facts, TheResponseHeadIsCopiedWhenTheRoundTripReturns) {
  Script s;
  s.at(0).start();
  s.at(1).get_conn();
  {
    Response response = testing::make_response(
        404, "Not Found", {{"Content-Type", "text/html"}, {"Vary", "A"}, {"Vary", "B"}}, 9);
    response.set_uncompressed(false);
    s.at(2).first_byte();
    s.at(3).respond(response);
  }
  s.at(4).mark_end(9);
  auto response = s.timeline().response(0);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status_code, 404);
  EXPECT_EQ(response->status, "404 Not Found");
  EXPECT_EQ(response->reason, "Not Found");
  EXPECT_EQ(response->proto, "HTTP/1.1");
  EXPECT_EQ(response->header.get("Content-Type"), "text/html");
  EXPECT_EQ(response->header.values("Vary"), (std::vector<std::string_view>{"A", "B"}));
  EXPECT_EQ(response->content_length, 9u);
  EXPECT_EQ(response->body_bytes_read, 9u);
}

TEST(Facts, AStatusWithoutReasonHasAnEmptyReason) {
  Script s;
  s.at(0).start();
  s.at(1).respond(testing::make_response(299, ""));
  EXPECT_EQ(s.timeline().response(0)->status, "299");
  EXPECT_EQ(s.timeline().response(0)->reason, "");
}

TEST(Facts, OnlyTheFinalHopGetsTheBodyBytesRead) {
  Script s;
  s.at(0).start();
  s.at(1).respond(301, "Moved Permanently");
  s.at(2).start();
  s.at(3).respond();
  s.at(4).mark_end(100);
  EXPECT_FALSE(s.timeline().response(0)->body_bytes_read);
  EXPECT_EQ(s.timeline().response(1)->body_bytes_read, 100u);
}

}  // namespace
}  // namespace httptrace
