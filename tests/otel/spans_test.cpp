// Spans from timelines driven at chosen times (a fake clock behind the recorder's clock seam),
// so every start and end can be asserted to the nanosecond.
#include "httptrace/otel.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "otel/span_checks.hpp"
#include "timeline/timeline_script.hpp"

namespace httptrace::otel {
namespace {

using testing::bool_attr;
using testing::expect_phases_match;
using testing::FakeClock;
using testing::FakeConn;
using testing::find_span;
using testing::find_spans;
using testing::int_attr;
using testing::Script;
using testing::string_attr;

const int64_t kOrigin =
    std::chrono::duration_cast<std::chrono::nanoseconds>(FakeClock::kWallOrigin).count();

// Wall time of a fake-clock millisecond value, in unix nanoseconds.
int64_t wall(double ms) {
  return kOrigin + testing::us(ms) * 1000;
}

IpAddress loopback() {
  return IpAddress::v4({127, 0, 0, 1});
}

std::shared_ptr<RequestTrace> traced(Script& s) {
  return RequestTrace::attach(s.ctx(), s.shared()).second;
}

// to_spans(), checking on the way that span_count() (what a dropped request counts as) agrees.
std::vector<SpanData> spans_of(const RequestTrace& trace) {
  std::vector<SpanData> spans = to_spans(trace);
  EXPECT_EQ(span_count(trace), spans.size());
  return spans;
}

std::shared_ptr<TLSConnectionState> tls_state() {
  auto state = std::make_shared<TLSConnectionState>();
  state->handshake_complete = true;
  state->version = 0x0304;
  state->version_name = "TLS 1.3";
  state->cipher_suite = 0x1301;
  state->cipher_suite_name = "TLS_AES_128_GCM_SHA256";
  state->server_name = "example.test";
  state->negotiated_protocol = "http/1.1";
  return state;
}

// A fresh request over plain HTTP: DNS, one connect, send, wait, receive.
void script_fresh(Script& s, const Conn& conn,
                  std::string_view url = "http://example.test:8080/p?q=1") {
  s.at(0).start("GET", url);
  s.at(0.1).get_conn("example.test:8080");
  s.at(0.2).dns_start("example.test");
  s.at(1.2).dns_done({loopback()});
  s.at(1.3).connect_start("127.0.0.1:8080");
  s.at(2.3).connect_done("127.0.0.1:8080");
  s.at(2.4).got_conn(conn);
  s.at(2.5).field("Host", {"example.test:8080"}).wrote_headers().wrote_request();
  s.at(4.5).first_byte();
  s.at(4.6).respond(200, "OK");
  s.at(5.0).mark_end(12);
}

TEST(Spans, FreshRequestIsAClientSpanWithAChildPerPhase) {
  Script s;
  FakeConn conn(7, "127.0.0.1:50000", "127.0.0.1:8080");
  script_fresh(s, conn);
  auto trace = traced(s);
  const auto spans = spans_of(*trace);

  std::vector<std::string> names;
  for (const auto& span : spans) names.push_back(span.name);
  EXPECT_EQ(names, (std::vector<std::string>{"GET", "pool_wait", "dns", "connect", "send", "wait",
                                             "receive"}));
  const SpanData& hop = spans[0];
  EXPECT_EQ(hop.kind, SpanKind::client);
  EXPECT_EQ(hop.span_id, trace->hop_span_id(0));
  EXPECT_FALSE(hop.parent_span_id.valid());  // a new trace: the hop span is its root
  EXPECT_EQ(hop.trace_id, trace->trace_id());
  EXPECT_EQ(hop.trace_flags, 0x01);
  EXPECT_EQ(hop.start_unix_nano, kOrigin);
  EXPECT_EQ(hop.end_unix_nano, wall(5.0));
  EXPECT_EQ(hop.status, StatusCode::unset);
  for (std::size_t i = 1; i < spans.size(); ++i) {
    EXPECT_EQ(spans[i].kind, SpanKind::internal) << spans[i].name;
    EXPECT_EQ(spans[i].parent_span_id, hop.span_id) << spans[i].name;
    EXPECT_EQ(spans[i].trace_id, hop.trace_id) << spans[i].name;
  }
  // Every phase at the microsecond the timeline has it.
  EXPECT_EQ(find_span(spans, "pool_wait")->start_unix_nano, wall(0));
  EXPECT_EQ(find_span(spans, "pool_wait")->end_unix_nano, wall(0.2));  // until the dial began
  EXPECT_EQ(find_span(spans, "dns")->start_unix_nano, wall(0.2));
  EXPECT_EQ(find_span(spans, "dns")->end_unix_nano, wall(1.2));
  EXPECT_EQ(find_span(spans, "connect")->start_unix_nano, wall(1.3));
  EXPECT_EQ(find_span(spans, "connect")->end_unix_nano, wall(2.3));
  EXPECT_EQ(find_span(spans, "send")->start_unix_nano, wall(2.4));
  EXPECT_EQ(find_span(spans, "send")->end_unix_nano, wall(2.5));
  EXPECT_EQ(find_span(spans, "wait")->end_unix_nano, wall(4.5));
  EXPECT_EQ(find_span(spans, "receive")->start_unix_nano, wall(4.5));
  EXPECT_EQ(find_span(spans, "receive")->end_unix_nano, wall(5.0));
  expect_phases_match(spans, s.timeline(), 0);

  EXPECT_EQ(string_attr(hop, "http.request.method"), "GET");
  EXPECT_EQ(string_attr(hop, "url.full"), "http://example.test:8080/p?q=1");
  EXPECT_EQ(string_attr(hop, "server.address"), "example.test");
  EXPECT_EQ(int_attr(hop, "server.port"), 8080);
  EXPECT_EQ(int_attr(hop, "http.response.status_code"), 200);
  EXPECT_EQ(string_attr(hop, "network.protocol.version"), "1.1");
  EXPECT_EQ(string_attr(hop, "network.peer.address"), "127.0.0.1");
  EXPECT_EQ(int_attr(hop, "network.peer.port"), 8080);
  EXPECT_EQ(int_attr(hop, "network.local.port"), 50000);
  EXPECT_EQ(int_attr(hop, "httptrace.connection.id"), 7);
  EXPECT_EQ(bool_attr(hop, "httptrace.connection.reused"), false);
  EXPECT_EQ(hop.attribute("error.type"), nullptr);
  EXPECT_EQ(hop.attribute("http.request.resend_count"), nullptr);
  EXPECT_EQ(hop.attribute("tls.protocol.version"), nullptr);
  const SpanData& dns = *find_span(spans, "dns");
  EXPECT_EQ(string_attr(dns, "dns.question.name"), "example.test");
  ASSERT_NE(dns.attribute("dns.answers"), nullptr);
  EXPECT_EQ(std::get<std::vector<std::string>>(*dns.attribute("dns.answers")),
            std::vector<std::string>{"127.0.0.1"});
  const SpanData& connect = *find_span(spans, "connect");
  EXPECT_EQ(string_attr(connect, "network.transport"), "tcp");
  EXPECT_EQ(string_attr(connect, "network.peer.address"), "127.0.0.1");
  EXPECT_EQ(int_attr(connect, "network.peer.port"), 8080);
}

TEST(Spans, ReusedConnectionHasNoDialSpansAndPoolWaitIsThePhase) {
  Script s;
  FakeConn conn(3, "127.0.0.1:50000", "127.0.0.1:8080");
  s.at(0).start();
  s.at(0.05).get_conn();
  s.at(0.3).got_conn(conn, true, true, std::chrono::microseconds(2500));
  s.at(0.4).wrote_headers().wrote_request();
  s.at(1.4).first_byte();
  s.at(1.5).respond(200, "OK");
  s.at(2.0).mark_end(0);
  const auto spans = spans_of(*traced(s));

  std::vector<std::string> names;
  for (const auto& span : spans) names.push_back(span.name);
  EXPECT_EQ(names, (std::vector<std::string>{"GET", "pool_wait", "send", "wait", "receive"}));
  const SpanData& pool_wait = *find_span(spans, "pool_wait");
  EXPECT_EQ(pool_wait.start_unix_nano, wall(0));
  EXPECT_EQ(pool_wait.end_unix_nano, wall(0.3));
  EXPECT_EQ(pool_wait.end_unix_nano - pool_wait.start_unix_nano,
            testing::us(*s.timeline().phases(0).pool_wait) * 1000);
  expect_phases_match(spans, s.timeline(), 0);
  EXPECT_EQ(bool_attr(spans[0], "httptrace.connection.reused"), true);
  EXPECT_EQ(bool_attr(spans[0], "httptrace.connection.was_idle"), true);
  EXPECT_EQ(int_attr(spans[0], "httptrace.connection.idle_time_us"), 2500);
}

TEST(Spans, TlsHandshakeIsASpanAndTheConnectionsTlsIsOnTheClientSpan) {
  Script s;
  auto state = tls_state();
  FakeConn conn(4, "127.0.0.1:50000", "127.0.0.1:8443", state);
  s.at(0).start("GET", "https://example.test:8443/");
  s.at(0.1).get_conn("example.test:8443");
  s.at(0.2).connect_start("127.0.0.1:8443");
  s.at(1.0).connect_done("127.0.0.1:8443");
  s.at(1.1).tls_start();
  s.at(3.6).tls_done(*state);
  s.at(3.7).got_conn(conn);
  s.at(3.8).wrote_headers().wrote_request();
  s.at(5.0).first_byte();
  s.at(5.1).respond(200, "OK");
  s.at(6.0).mark_end(5);
  const auto spans = spans_of(*traced(s));

  const SpanData* tls = find_span(spans, "tls");
  ASSERT_NE(tls, nullptr);
  EXPECT_EQ(tls->start_unix_nano, wall(1.1));
  EXPECT_EQ(tls->end_unix_nano, wall(3.6));
  EXPECT_EQ(string_attr(*tls, "tls.protocol.version"), "1.3");
  EXPECT_EQ(string_attr(*tls, "tls.cipher"), "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(string_attr(*tls, "tls.next_protocol"), "http/1.1");
  EXPECT_EQ(bool_attr(*tls, "tls.resumed"), false);
  EXPECT_EQ(string_attr(*tls, "tls.client.server_name"), "example.test");
  EXPECT_EQ(string_attr(spans[0], "tls.protocol.version"), "1.3");
  EXPECT_EQ(string_attr(spans[0], "tls.next_protocol"), "http/1.1");
  EXPECT_EQ(int_attr(spans[0], "server.port"), 8443);
  EXPECT_EQ(find_span(spans, "dns"), nullptr);  // an IP-literal dial has no lookup
  expect_phases_match(spans, s.timeline(), 0);
}

TEST(Spans, RedirectedRequestHasOneClientSpanPerHopUnderARequestSpan) {
  Script s;
  FakeConn conn(1, "127.0.0.1:50000", "127.0.0.1:80");
  s.at(0).start("GET", "http://127.0.0.1/a");
  s.at(0.1).get_conn("127.0.0.1:80");
  s.at(0.2).connect_start("127.0.0.1:80");
  s.at(1.0).connect_done("127.0.0.1:80");
  s.at(1.1).got_conn(conn);
  s.at(1.2).wrote_headers().wrote_request();
  s.at(2.0).first_byte();
  s.at(2.1).respond(testing::make_response(302, "Found", {{"Location", "/b"}}));
  s.at(3.1).start("GET", "http://127.0.0.1/b");
  s.at(3.2).get_conn("127.0.0.1:80");
  s.at(3.3).got_conn(conn, true);
  s.at(3.4).wrote_headers().wrote_request();
  s.at(4.4).first_byte();
  s.at(4.5).respond(200, "OK");
  s.at(6.0).mark_end(2);
  auto trace = traced(s);
  const auto spans = spans_of(*trace);

  ASSERT_GE(spans.size(), 3u);
  const SpanData& request = spans[0];
  EXPECT_EQ(request.kind, SpanKind::internal);
  EXPECT_EQ(request.span_id, trace->request_span_id());
  EXPECT_FALSE(request.parent_span_id.valid());
  EXPECT_EQ(request.start_unix_nano, kOrigin);
  EXPECT_EQ(request.end_unix_nano, wall(6.0));
  EXPECT_EQ(string_attr(request, "url.full"), "http://127.0.0.1/a");
  EXPECT_EQ(int_attr(request, "http.response.status_code"), 200);

  const auto hops = find_spans(spans, "GET", SpanKind::client);
  ASSERT_EQ(hops.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(hops[i]->span_id, trace->hop_span_id(i));
    EXPECT_EQ(hops[i]->parent_span_id, request.span_id);
  }
  EXPECT_NE(hops[0]->span_id, hops[1]->span_id);
  EXPECT_EQ(hops[0]->start_unix_nano, kOrigin);
  EXPECT_EQ(hops[0]->end_unix_nano, wall(3.1));  // an intermediate hop ends when the next starts
  EXPECT_EQ(hops[1]->start_unix_nano, kOrigin + testing::us(s.timeline().redirect_ms()) * 1000);
  EXPECT_EQ(hops[1]->end_unix_nano, wall(6.0));
  EXPECT_EQ(int_attr(*hops[0], "http.response.status_code"), 302);
  EXPECT_EQ(hops[0]->attribute("error.type"), nullptr);
  EXPECT_EQ(hops[0]->attribute("http.request.resend_count"), nullptr);
  EXPECT_EQ(int_attr(*hops[1], "http.request.resend_count"), 1);
  EXPECT_EQ(string_attr(*hops[1], "url.full"), "http://127.0.0.1/b");
  // Each phase span hangs under its own hop.
  for (const auto& span : spans) {
    if (span.kind != SpanKind::internal || span.span_id == request.span_id) continue;
    EXPECT_TRUE(span.parent_span_id == hops[0]->span_id || span.parent_span_id == hops[1]->span_id)
        << span.name;
    if (span.name == "connect") {
      EXPECT_EQ(span.parent_span_id, hops[0]->span_id);
    }
  }
  expect_phases_match(spans, s.timeline(), 0);
  expect_phases_match(spans, s.timeline(), 1);
}

TEST(Spans, FailedRequestCarriesErrorTypeAndTheFailedAttempt) {
  Script s;
  const Error refused =
      Error(ErrorCode::connection_refused, "dial tcp 127.0.0.1:9: connection refused");
  s.at(0).start("GET", "http://127.0.0.1:9/");
  s.at(0.1).get_conn("127.0.0.1:9");
  s.at(0.2).connect_start("127.0.0.1:9");
  s.at(0.7).connect_done("127.0.0.1:9", &refused);
  s.at(0.8).fail(refused);
  s.at(0.9).mark_end();
  const auto spans = spans_of(*traced(s));

  std::vector<std::string> names;
  for (const auto& span : spans) names.push_back(span.name);
  EXPECT_EQ(names, (std::vector<std::string>{"GET", "connect"}));
  EXPECT_EQ(string_attr(spans[0], "error.type"), "connection_refused");
  EXPECT_EQ(spans[0].status, StatusCode::error);
  EXPECT_EQ(spans[0].status_message, refused.what());
  EXPECT_EQ(spans[0].end_unix_nano, wall(0.8));  // a failed hop ends at its failure
  EXPECT_EQ(spans[0].attribute("http.response.status_code"), nullptr);
  EXPECT_EQ(string_attr(spans[1], "error.type"), "connect");
  EXPECT_EQ(spans[1].status, StatusCode::error);
  EXPECT_EQ(spans[1].start_unix_nano, wall(0.2));
  EXPECT_EQ(spans[1].end_unix_nano, wall(0.7));
}

TEST(Spans, RacingConnectAttemptsAreEachASpan) {
  Script s;
  FakeConn conn(2, "[::1]:50000", "[::1]:8080");
  const Error unreachable(ErrorCode::network, "dial tcp 127.0.0.1:8080: network unreachable");
  s.at(0).start("GET", "http://localhost:8080/");
  s.at(0.1).get_conn("localhost:8080");
  s.at(0.2).dns_start("localhost");
  s.at(0.4).dns_done({IpAddress::parse("::1").value(), loopback()});
  s.at(0.5).connect_start("127.0.0.1:8080");
  s.at(0.8).connect_start("[::1]:8080");
  s.at(0.9).connect_done("127.0.0.1:8080", &unreachable);
  s.at(1.5).connect_done("[::1]:8080");
  s.at(1.6).got_conn(conn);
  s.at(1.7).wrote_headers().wrote_request();
  s.at(2.0).first_byte();
  s.at(2.1).respond(200, "OK");
  s.at(2.2).mark_end(0);
  const auto spans = spans_of(*traced(s));

  const auto connects = find_spans(spans, "connect", SpanKind::internal);
  ASSERT_EQ(connects.size(), 2u);
  EXPECT_EQ(string_attr(*connects[0], "network.peer.address"), "127.0.0.1");
  EXPECT_EQ(string_attr(*connects[0], "error.type"), "connect");
  EXPECT_EQ(connects[0]->end_unix_nano, wall(0.9));
  EXPECT_EQ(string_attr(*connects[1], "network.peer.address"), "::1");
  EXPECT_EQ(connects[1]->attribute("error.type"), nullptr);
  // The connect phase runs from the first attempt's start to the winner's done.
  EXPECT_EQ(connects[1]->end_unix_nano - connects[0]->start_unix_nano,
            testing::us(*s.timeline().phases(0).connect) * 1000);
  EXPECT_EQ(string_attr(spans[0], "network.peer.address"), "::1");
}

TEST(Spans, ChildOfAContextSpanJoinsItsTraceAndKeepsItsState) {
  SpanContext parent = *parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
                                          "rojo=00f067aa0ba902b7");
  Script s(with_span_context(Context(), parent));
  FakeConn conn(1, "127.0.0.1:50000", "127.0.0.1:8080");
  script_fresh(s, conn);
  auto trace = traced(s);
  EXPECT_EQ(trace->trace_id(), parent.trace_id);
  EXPECT_FALSE(trace->sampled());  // the parent's sampling decision is kept
  const auto spans = spans_of(*trace);
  ASSERT_FALSE(spans.empty());
  EXPECT_EQ(spans[0].parent_span_id, parent.span_id);
  EXPECT_TRUE(spans[0].parent_remote);
  EXPECT_FALSE(spans[1].parent_remote);
  for (const auto& span : spans) {
    EXPECT_EQ(span.trace_id, parent.trace_id);
    EXPECT_EQ(span.trace_state, "rojo=00f067aa0ba902b7");
    EXPECT_EQ(span.trace_flags, 0x00);
  }
  const SpanContext outgoing = trace->hop_span_context(0);
  EXPECT_EQ(outgoing.trace_id, parent.trace_id);
  EXPECT_EQ(outgoing.span_id, spans[0].span_id);
  EXPECT_EQ(outgoing.trace_state, "rojo=00f067aa0ba902b7");
}

TEST(Spans, ErrorStatusFromFourHundredAndOtherMethodsAndRedactedCredentials) {
  Script s;
  FakeConn conn(1, "127.0.0.1:50000", "127.0.0.1:8080");
  s.at(0).start("PURGE", "http://user:secret@127.0.0.1:8080/x#frag");
  s.at(0.1).get_conn();
  s.at(0.2).got_conn(conn, true);
  s.at(0.3).wrote_headers().wrote_request();
  s.at(0.4).first_byte();
  s.at(0.5).respond(404, "Not Found");
  s.at(0.6).mark_end(0);
  const auto spans = spans_of(*traced(s));
  const SpanData& hop = spans[0];
  EXPECT_EQ(hop.name, "HTTP");
  EXPECT_EQ(string_attr(hop, "http.request.method"), "_OTHER");
  EXPECT_EQ(string_attr(hop, "http.request.method_original"), "PURGE");
  EXPECT_EQ(string_attr(hop, "error.type"), "404");
  EXPECT_EQ(hop.status, StatusCode::error);
  const std::string url = string_attr(hop, "url.full");
  EXPECT_EQ(url.find("secret"), std::string::npos) << url;
  EXPECT_EQ(url.find("user"), std::string::npos) << url;
  EXPECT_EQ(url, "http://REDACTED:REDACTED@127.0.0.1:8080/x#frag");
}

TEST(Spans, SpansArePureFunctionsOfTheTrace) {
  Script s;
  FakeConn conn(1, "127.0.0.1:50000", "127.0.0.1:8080");
  script_fresh(s, conn);
  auto trace = traced(s);
  const auto first = spans_of(*trace);
  const auto second = spans_of(*trace);
  ASSERT_EQ(first.size(), second.size());
  for (std::size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].span_id, second[i].span_id);
    EXPECT_EQ(first[i].start_unix_nano, second[i].start_unix_nano);
  }
  std::set<std::string> ids;
  for (const auto& span : first) ids.insert(span.span_id.hex());
  EXPECT_EQ(ids.size(), first.size());
}

TEST(Spans, NoRoundTripMeansNoSpans) {
  auto [ctx, trace] = RequestTrace::attach(Context());
  EXPECT_TRUE(spans_of(*trace).empty());
}

}  // namespace
}  // namespace httptrace::otel
