// Recording: hops and attempts, the composed trace, ownership, the events list.
#include "httptrace/timeline.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "timeline/timeline_script.hpp"

namespace httptrace {
namespace {

using testing::FakeConn;
using testing::Script;
using testing::us;

const FakeConn kConn(9, "127.0.0.1:51000", "127.0.0.1:8080");

std::vector<std::string> names(const std::vector<TimelineEvent>& events) {
  std::vector<std::string> out;
  for (const TimelineEvent& e : events) out.emplace_back(e.name);
  return out;
}

TEST(Recorder, AttachLayersOverATraceAlreadyInTheContext) {
  std::vector<std::string> seen;
  ClientTrace user;
  user.got_conn = [&](const GotConnInfo& info) { seen.push_back(info.reused ? "reused" : "new"); };
  user.got_1xx_response = [&](int code, const Header&) -> std::optional<Error> {
    seen.push_back(std::to_string(code));
    return std::nullopt;
  };
  Script s(with_client_trace(Context(), user));
  s.at(0).start();
  s.at(1).get_conn();
  s.at(2).got_conn(kConn, true, true);
  s.at(3).first_byte().got_1xx(103);
  EXPECT_EQ(seen, (std::vector<std::string>{"reused", "103"}));
  EXPECT_EQ(s.timeline().facts(0).informational, (std::vector<int>{103}));
  EXPECT_TRUE(s.timeline().facts(0).conn->reused);
}

TEST(Recorder, TwoTimelinesOnOneContextBothRecord) {
  Script outer;
  auto [ctx, inner] = Timeline::attach(outer.ctx());
  outer.at(0);
  detail::context_round_trip_observer(ctx)->started(
      testing::make_request("GET", "http://127.0.0.1:8080/"));
  context_client_trace(ctx)->get_conn("127.0.0.1:8080");
  EXPECT_EQ(outer.timeline().hops(), 1u);
  EXPECT_EQ(inner->hops(), 1u);
  EXPECT_EQ(inner->facts(0).attempts, 1u);
  EXPECT_EQ(outer.timeline().facts(0).attempts, 1u);
}

TEST(Recorder, TheContextOwnsTheTimelineWithoutACycle) {
  std::weak_ptr<Timeline> weak;
  {
    auto [ctx, timeline] = Timeline::attach(background());
    weak = timeline;
    // The request carries the context that owns the Timeline: keeping it would be a cycle.
    Request request = testing::make_request("GET", "http://127.0.0.1:8080/").with_context(ctx);
    detail::context_round_trip_observer(ctx)->started(request);
    context_client_trace(ctx)->get_conn("127.0.0.1:8080");
    Response response = testing::make_response(200, "OK");
    detail::context_round_trip_observer(ctx)->finished(request, &response, nullptr);
    timeline.reset();
    EXPECT_FALSE(weak.expired()) << "the context keeps it alive";
    EXPECT_EQ(weak.lock()->hops(), 1u);
  }
  EXPECT_TRUE(weak.expired());
}

TEST(Recorder, ACopyOfTheComposedTraceKeepsTheTimelineAlive) {
  std::weak_ptr<Timeline> weak;
  std::optional<ClientTrace> copy;
  {
    auto [ctx, timeline] = Timeline::attach(background());
    weak = timeline;
    copy = *context_client_trace(ctx);
  }
  ASSERT_FALSE(weak.expired());
  copy->get_conn("127.0.0.1:8080");
  copy->wrote_headers();
  EXPECT_EQ(weak.lock()->events(0).size(), 2u);
  copy.reset();
  EXPECT_TRUE(weak.expired());
}

TEST(Recorder, RealClocksGiveOrderedNonNegativePhases) {
  auto [ctx, timeline] = Timeline::attach(background());
  Request request = testing::make_request("GET", "http://127.0.0.1:8080/");
  const auto* observer = detail::context_round_trip_observer(ctx);
  const ClientTrace* trace = context_client_trace(ctx);
  const auto before = std::chrono::system_clock::now();
  observer->started(request);
  trace->get_conn("127.0.0.1:8080");
  trace->connect_start("tcp", "127.0.0.1:8080");
  trace->connect_done("tcp", "127.0.0.1:8080", nullptr);
  GotConnInfo info;
  info.conn = &kConn;
  trace->got_conn(info);
  trace->wrote_request(WroteRequestInfo{});
  trace->got_first_response_byte();
  Response response = testing::make_response(200, "OK");
  observer->finished(request, &response, nullptr);
  timeline->mark_end();
  Phases p = timeline->phases(0);
  for (const auto& phase : {p.pool_wait, p.connect, p.send, p.wait, p.receive}) {
    ASSERT_TRUE(phase);
    EXPECT_GE(*phase, 0);
  }
  EXPECT_GE(p.total, 0);
  Stamps stamps = timeline->stamps(0);
  EXPECT_GE(stamps.started_at, before - std::chrono::seconds(1));
  EXPECT_LE(stamps.started_at, std::chrono::system_clock::now() + std::chrono::seconds(1));
  EXPECT_LE(stamps.start, *stamps.got_conn);
  EXPECT_LE(*stamps.first_byte, stamps.end);
}

TEST(Recorder, RetryOpensANewAttemptInTheSameHop) {
  Script s;
  s.at(0).start();
  s.at(1).get_conn();
  s.at(2).got_conn(kConn, true, true);
  s.at(3).field("Host", {"a"}).wrote_request();
  s.at(4).get_conn();
  s.at(5).got_conn(kConn);
  s.at(6).field("Host", {"b"}).wrote_request();
  Timeline& t = s.timeline();
  EXPECT_EQ(t.hops(), 1u);
  std::vector<TimelineEvent> events = t.events(0);
  ASSERT_EQ(events.size(), 9u);
  EXPECT_EQ(events[1].attempt, 0u);
  EXPECT_EQ(events[4].name, "wrote_request");
  EXPECT_EQ(events[4].attempt, 0u);
  EXPECT_EQ(events[5].name, "get_conn");
  EXPECT_EQ(events[5].attempt, 1u);
  // The request as written is the last attempt's.
  auto request = t.request(0);
  ASSERT_TRUE(request);
  ASSERT_EQ(request->fields.size(), 1u);
  EXPECT_EQ(request->fields[0].values, (std::vector<std::string>{"b"}));
  EXPECT_FALSE(t.facts(0).conn->reused);
}

TEST(Recorder, GetConnAfterAFinishedRoundTripOpensAHop) {
  Script s;
  s.at(0).get_conn();  // no started() notification: the hooks open the hop
  s.at(1).got_conn(kConn);
  s.at(2).first_byte();
  s.at(3).respond();
  s.at(4).get_conn();
  s.at(5).got_conn(kConn, true, true);
  Timeline& t = s.timeline();
  ASSERT_EQ(t.hops(), 2u);
  EXPECT_EQ(t.stamps(0).start, s.clock().steady_at_ms(0));
  EXPECT_EQ(t.stamps(1).start, s.clock().steady_at_ms(4));
  EXPECT_EQ(t.facts(1).attempts, 1u);
}

TEST(Recorder, PutIdleConnAfterTheRoundTripBelongsToItsHop) {
  Script s;
  s.at(0).start();
  s.at(1).get_conn();
  s.at(2).got_conn(kConn);
  s.at(3).wrote_request();
  s.at(4).first_byte();
  s.at(5).respond();
  s.at(6).put_idle_conn();
  s.at(7).mark_end(42);
  Timeline& t = s.timeline();
  ASSERT_EQ(t.hops(), 1u);
  EXPECT_TRUE(t.facts(0).pooled);
  EXPECT_EQ(
      names(t.events(0)),
      (std::vector<std::string>{"start", "get_conn", "got_conn", "wrote_request",
                                "got_first_response_byte", "response", "put_idle_conn", "end"}));
  EXPECT_EQ(t.events(0).back().detail, "42 body bytes");
  EXPECT_EQ(us(t.phases(0).total), 7000);
}

TEST(Recorder, MarkEndWithNoHopsIsHarmless) {
  Script s;
  s.at(1).mark_end();
  EXPECT_EQ(s.timeline().hops(), 0u);
  EXPECT_EQ(s.timeline().redirect_ms(), 0);
}

TEST(Recorder, EventsListEveryHookInOrderWithTimesAttemptsAndDetails) {
  Script s;
  const Error refused(ErrorCode::connection_refused, "connect: connection refused");
  s.at(0).start("GET", "http://user:secret@localhost:8080/x?q=1");
  s.at(1).get_conn("localhost:8080");
  s.at(2).dns_start("localhost");
  s.at(3).dns_done({IpAddress::parse("::1").value(), IpAddress::parse("127.0.0.1").value()},
                   nullptr, true);
  s.at(4).connect_start("[::1]:8080");
  s.at(5).connect_done("[::1]:8080", &refused);
  s.at(6).connect_start("127.0.0.1:8080");
  s.at(7).connect_done("127.0.0.1:8080");
  s.at(8).got_conn(kConn);
  s.at(9).field("Host", {"localhost:8080"}).field("X-Multi", {"a", "b"});
  s.at(10).wrote_headers().wait_100_continue();
  s.at(11).first_byte().got_100_continue().got_1xx(100);
  s.at(12).wrote_request();
  s.at(13).respond(204, "No Content");
  s.at(14).put_idle_conn();

  std::vector<TimelineEvent> events = s.timeline().events(0);
  EXPECT_EQ(names(events), (std::vector<std::string>{
                               "start", "get_conn", "dns_start", "dns_done", "connect_start",
                               "connect_done", "connect_start", "connect_done", "got_conn",
                               "wrote_header_field", "wrote_header_field", "wrote_headers",
                               "wait_100_continue", "got_first_response_byte", "got_100_continue",
                               "got_1xx_response", "wrote_request", "response", "put_idle_conn"}));
  for (std::size_t i = 1; i < events.size(); ++i) EXPECT_LE(events[i - 1].at, events[i].at);
  EXPECT_EQ(events[0].detail, "GET http://user:***@localhost:8080/x?q=1");
  EXPECT_EQ(events[1].detail, "localhost:8080");
  EXPECT_EQ(events[3].detail, "::1, 127.0.0.1 (coalesced)");
  EXPECT_EQ(events[4].at, s.clock().steady_at_ms(4));
  EXPECT_EQ(events[5].detail, "tcp [::1]:8080: connect: connection refused");
  EXPECT_TRUE(events[5].failed);
  EXPECT_EQ(events[7].detail, "tcp 127.0.0.1:8080");
  EXPECT_FALSE(events[7].failed);
  EXPECT_EQ(events[8].detail, "new conn 9 127.0.0.1:51000 -> 127.0.0.1:8080");
  EXPECT_EQ(events[10].detail, "X-Multi: a, b");
  EXPECT_EQ(events[15].detail, "100");
  EXPECT_EQ(events[17].detail, "204 No Content HTTP/1.1");
}

TEST(Recorder, AFailedHopRecordsItsErrorAsAnEvent) {
  Script s;
  s.at(0).start();
  s.at(1).get_conn();
  s.at(2).fail(Error(ErrorCode::deadline_exceeded, "context deadline exceeded"));
  std::vector<TimelineEvent> events = s.timeline().events(0);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].name, "error");
  EXPECT_EQ(events[2].detail, "context deadline exceeded");
  EXPECT_TRUE(events[2].failed);
  ASSERT_TRUE(s.timeline().facts(0).error);
  EXPECT_EQ(s.timeline().facts(0).error->code(), ErrorCode::deadline_exceeded);
  EXPECT_FALSE(s.timeline().response(0));
}

// One keep-alive request on a reused idle connection, at times from `t0` on.
void reused_request(Script& s, double t0) {
  s.at(t0).start();
  s.at(t0 + 1).get_conn();
  s.at(t0 + 2).got_conn(kConn, true, true, std::chrono::milliseconds(5));
  s.at(t0 + 3).wrote_headers().wrote_request();
  s.at(t0 + 7).first_byte();
  s.at(t0 + 8).respond(testing::make_response(200, "OK", {{"Server", "nginx"}}, 12));
  s.at(t0 + 9).put_idle_conn();
  s.at(t0 + 10).mark_end(12);
}

TEST(Recorder, ResetRecordsTheNextRequestFromScratch) {
  Script s;
  s.at(0).start();
  s.at(1).get_conn();
  s.at(2).connect_start().connect_done();
  s.at(3).got_conn(kConn);
  s.at(4).wrote_request();
  s.at(5).fail(Error(ErrorCode::timeout, "timeout awaiting response headers"));
  s.at(6).mark_end();
  Timeline& t = s.timeline();
  ASSERT_EQ(t.hops(), 1u);

  t.reset();
  EXPECT_EQ(t.hops(), 0u);
  reused_request(s, 100);
  ASSERT_EQ(t.hops(), 1u);
  EXPECT_EQ(
      names(t.events(0)),
      (std::vector<std::string>{"start", "get_conn", "got_conn", "wrote_headers", "wrote_request",
                                "got_first_response_byte", "response", "put_idle_conn", "end"}));
  // Nothing of the first request is left: no connect, no error, the new end mark counted.
  const Phases p = t.phases(0);
  EXPECT_FALSE(p.connect);
  EXPECT_EQ(us(p.total), 10000);
  EXPECT_EQ(us(p.receive), 3000);
  EXPECT_EQ(t.stamps(0).start, s.clock().steady_at_ms(100));
  EXPECT_FALSE(t.facts(0).error);
  EXPECT_TRUE(t.facts(0).conn->reused);
  EXPECT_EQ(t.response(0)->body_bytes_read, 12u);
}

TEST(Recorder, ResetOfAnEmptyTimelineIsHarmless) {
  Script s;
  s.timeline().reset();
  reused_request(s, 0);
  EXPECT_EQ(s.timeline().hops(), 1u);
  EXPECT_EQ(us(s.timeline().phases(0).total), 10000);
}

TEST(Recorder, WithoutHeaderFieldsEveryTimingStaysAndTheHeadersGo) {
  Script full;
  Script lean(Context(), TimelineOptions{.header_fields = false});
  EXPECT_TRUE(full.trace()->wrote_header_field);
  // No hook: the writer skips the per-field calls altogether.
  EXPECT_FALSE(lean.trace()->wrote_header_field);
  reused_request(full, 0);
  reused_request(lean, 0);
  const Phases a = full.timeline().phases(0), b = lean.timeline().phases(0);
  EXPECT_EQ(us(a.pool_wait), us(b.pool_wait));
  EXPECT_EQ(us(a.send), us(b.send));
  EXPECT_EQ(us(a.wait), us(b.wait));
  EXPECT_EQ(us(a.receive), us(b.receive));
  EXPECT_EQ(us(a.total), us(b.total));
  const auto response = lean.timeline().response(0);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status_code, 200);
  EXPECT_EQ(response->content_length, 12u);
  EXPECT_EQ(response->header.size(), 0u);
  EXPECT_EQ(full.timeline().response(0)->header.get("Server"), "nginx");
  EXPECT_TRUE(lean.timeline().request(0)->fields.empty());
  EXPECT_EQ(lean.timeline().request(0)->method, "GET");
}

TEST(Recorder, MeasureAgreesWithPhasesStampsAndFacts) {
  Script s;
  s.at(0).start();
  s.at(1).get_conn();
  s.at(2).dns_start("localhost");
  s.at(3).dns_done({IpAddress::parse("127.0.0.1").value()});
  s.at(4).connect_start().connect_done();
  s.at(6).got_conn(kConn);
  s.at(7).wrote_request();
  s.at(9).first_byte();
  s.at(10).respond(302, "Found");
  reused_request(s, 20);
  Timeline& t = s.timeline();
  ASSERT_EQ(t.hops(), 2u);
  for (std::size_t h = 0; h < t.hops(); ++h) {
    SCOPED_TRACE(h);
    const HopMeasure m = t.measure(h);
    const Phases p = t.phases(h);
    EXPECT_EQ(m.phases.pool_wait, us(p.pool_wait));
    EXPECT_EQ(m.phases.dns, us(p.dns));
    EXPECT_EQ(m.phases.connect, us(p.connect));
    EXPECT_EQ(m.phases.tls, us(p.tls));
    EXPECT_EQ(m.phases.send, us(p.send));
    EXPECT_EQ(m.phases.wait, us(p.wait));
    EXPECT_EQ(m.phases.receive, us(p.receive));
    EXPECT_EQ(m.phases.total, us(p.total));
    EXPECT_EQ(m.start, t.stamps(h).start);
    const auto conn = t.facts(h).conn;
    ASSERT_TRUE(conn);
    EXPECT_TRUE(m.got_conn);
    EXPECT_EQ(m.reused, conn->reused);
    EXPECT_EQ(m.was_idle, conn->was_idle);
    EXPECT_EQ(m.idle_time, conn->idle_time);
  }
  EXPECT_EQ(t.measure(0).phases.dns, 1000);
  EXPECT_EQ(t.measure(1).idle_time, std::chrono::milliseconds(5));
  EXPECT_FALSE(t.measure(1).phases.connect);
  EXPECT_THROW(t.measure(2), std::out_of_range);
}

TEST(Recorder, MeasureOfAHopWithoutGotConnSaysSo) {
  Script s;
  s.at(0).start();
  s.at(1).get_conn();
  s.at(2).fail(Error(ErrorCode::canceled, "context canceled"));
  const HopMeasure m = s.timeline().measure(0);
  EXPECT_FALSE(m.got_conn);
  EXPECT_FALSE(m.phases.pool_wait);
  EXPECT_EQ(m.phases.total, 2000);
}

}  // namespace
}  // namespace httptrace
