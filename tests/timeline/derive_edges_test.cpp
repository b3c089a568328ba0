// Phases of failed requests, and the rules that end a hop and round its stamps.
#include "timeline/derive.hpp"

#include <gtest/gtest.h>

#include "timeline/phase_checks.hpp"

namespace httptrace {
namespace {

using testing::expect_consistent;
using testing::expect_ordered;
using testing::fresh_plain;
using testing::kConn;
using testing::reused;
using testing::Script;
using testing::us;

TEST(Phases, FailureBeforeAConnectionHasOnlyTotal) {
  Script s;
  const Error refused(ErrorCode::connection_refused,
                      "dial tcp 127.0.0.1:1: connect: connection refused");
  s.at(0).start("GET", "http://127.0.0.1:1/");
  s.at(0.010).get_conn("127.0.0.1:1");
  s.at(0.020).connect_start("127.0.0.1:1");
  s.at(1.020).connect_done("127.0.0.1:1", &refused);
  s.at(1.030).fail(refused);
  s.at(2.000).mark_end();  // the caller gave up later: the hop still ends at its failure

  Phases p = s.timeline().phases(0);
  EXPECT_FALSE(p.pool_wait);
  EXPECT_FALSE(p.dns);
  EXPECT_FALSE(p.connect);
  EXPECT_FALSE(p.tls);
  EXPECT_FALSE(p.send);
  EXPECT_FALSE(p.wait);
  EXPECT_FALSE(p.receive);
  EXPECT_EQ(us(p.total), 1030);
  Marks m = s.timeline().marks(0);
  EXPECT_FALSE(m.connect);
  EXPECT_FALSE(m.pretransfer);
  EXPECT_EQ(us(m.total), 1030);
  expect_ordered(m);
  K6Timings k = s.timeline().k6(0);
  EXPECT_FALSE(k.blocked);
  EXPECT_FALSE(k.duration);
}

TEST(Phases, FailedLookupKeepsTheTimeItTook) {
  Script s;
  const Error not_found(ErrorCode::dns, "lookup nx.test: no such host");
  s.at(0).start("GET", "http://nx.test/");
  s.at(0.010).get_conn("nx.test:80");
  s.at(0.020).dns_start("nx.test");
  s.at(0.520).dns_done({}, &not_found);
  s.at(0.530).fail(not_found);
  Phases p = s.timeline().phases(0);
  EXPECT_EQ(us(p.dns), 500);
  EXPECT_FALSE(p.connect);
  EXPECT_FALSE(p.pool_wait);
  EXPECT_EQ(us(p.total), 530);
  expect_ordered(s.timeline().marks(0));
}

TEST(Phases, FailureAfterAConnectionHasThePhasesThatCompleted) {
  Script s;
  fresh_plain(s);
  s.at(1.050).wrote_request();
  s.at(2.000).fail(Error(ErrorCode::connection_reset, "read tcp: connection reset by peer"));
  Phases p = s.timeline().phases(0);
  EXPECT_EQ(us(p.pool_wait), 30);
  EXPECT_EQ(us(p.connect), 1000);
  EXPECT_EQ(us(p.send), 20);
  EXPECT_FALSE(p.wait);  // no first byte
  EXPECT_FALSE(p.receive);
  EXPECT_EQ(us(p.total), 2000);
  Marks m = s.timeline().marks(0);
  EXPECT_FALSE(m.starttransfer);
  EXPECT_EQ(us(m.posttransfer), 1050);
  expect_ordered(m);
  HarTimings h = s.timeline().har_timings(0);
  EXPECT_EQ(h.wait, -1);
  EXPECT_EQ(h.receive, -1);
}

TEST(Phases, FailureWhileWritingBeforeAnyWriteResultHasNoSend) {
  Script s;
  fresh_plain(s);
  s.at(1.500).fail(Error(ErrorCode::canceled, "context canceled"));
  Phases p = s.timeline().phases(0);
  EXPECT_EQ(us(p.pool_wait), 30);
  EXPECT_FALSE(p.send);
  EXPECT_EQ(us(p.total), 1500);
}

TEST(Phases, RequestRefusedBeforeAnyHookHasOnlyTotal) {
  Script s;
  s.at(0).start("GET", "ftp://127.0.0.1/");
  s.at(0.004).fail(Error(ErrorCode::unsupported_scheme, "unsupported protocol scheme \"ftp\""));
  Phases p = s.timeline().phases(0);
  EXPECT_FALSE(p.pool_wait);
  EXPECT_FALSE(p.send);
  EXPECT_EQ(us(p.total), 4);
}

TEST(Phases, WithoutMarkEndTheFinalHopEndsAtItsResponseHead) {
  Script s;
  fresh_plain(s);
  s.at(1.050).wrote_request();
  s.at(3.050).first_byte();
  s.at(3.100).respond();
  Phases p = s.timeline().phases(0);
  EXPECT_EQ(us(p.receive), 50);
  EXPECT_EQ(us(p.total), 3100);
  s.at(9.000).mark_end();
  EXPECT_EQ(us(s.timeline().phases(0).total), 9000);
}

TEST(Phases, FirstMarkEndWins) {
  Script s;
  reused(s);  // mark_end at 0.600
  s.at(0.900).mark_end();
  EXPECT_EQ(us(s.timeline().phases(0).total), 600);
}

TEST(Phases, FirstByteIsFirstWinsAndWroteRequestLastWins) {
  Script s;
  fresh_plain(s);
  s.at(1.050).wrote_request();
  s.at(1.060).wrote_request();
  s.at(2.000).first_byte();
  s.at(2.500).first_byte();
  s.at(3.000).respond();
  s.at(3.000).mark_end();
  Marks m = s.timeline().marks(0);
  EXPECT_EQ(us(m.posttransfer), 1060);
  EXPECT_EQ(us(m.starttransfer), 2000);
  expect_consistent(s.timeline(), 0);
}

TEST(Phases, StampsAreWholeMicrosecondsRoundedHalfUp) {
  EXPECT_EQ(detail::round_micros(std::chrono::nanoseconds(1499)), 1);
  EXPECT_EQ(detail::round_micros(std::chrono::nanoseconds(1500)), 2);
  EXPECT_EQ(detail::round_micros(std::chrono::nanoseconds(-1500)), -1);
  EXPECT_EQ(detail::round_micros(std::chrono::nanoseconds(-1501)), -2);
  Script s;
  s.at(0).start();
  s.at(0.0004).get_conn();
  s.at(0.0006).got_conn(kConn, true, true);
  s.at(0.0014).wrote_request();
  s.at(0.0026).first_byte();
  s.at(0.0031).respond();
  s.at(0.0049).mark_end();
  Phases p = s.timeline().phases(0);
  EXPECT_EQ(us(p.pool_wait), 1);
  EXPECT_EQ(us(p.send), 0);
  EXPECT_EQ(us(p.wait), 2);
  EXPECT_EQ(us(p.receive), 2);
  EXPECT_EQ(us(p.total), 5);
  expect_consistent(s.timeline(), 0);
}

TEST(Phases, OutOfRangeHopThrows) {
  Script s;
  reused(s);
  EXPECT_THROW(s.timeline().phases(1), std::out_of_range);
  EXPECT_THROW(s.timeline().stamps(1), std::out_of_range);
  EXPECT_THROW(s.timeline().marks(1), std::out_of_range);
  EXPECT_THROW(s.timeline().k6(1), std::out_of_range);
  EXPECT_THROW(s.timeline().har_timings(1), std::out_of_range);
  EXPECT_THROW(s.timeline().events(3), std::out_of_range);
  EXPECT_THROW(s.timeline().har_entry(1), std::out_of_range);
}

}  // namespace
}  // namespace httptrace
