#pragma once
// Checks every phase test applies (timeline.md: ordering invariants, the exact sum) and the
// request shapes several tests start from.

#include <vector>

#include <gtest/gtest.h>

#include "timeline/timeline_script.hpp"

namespace httptrace::testing {

inline const FakeConn kConn(7, "127.0.0.1:51000", "127.0.0.1:8080");

// curl's invariants (timeline.md "Cumulative marks").
inline void expect_ordered(const Marks& m) {
  std::vector<double> chain;
  for (const auto& mark : {m.namelookup, m.connect, m.appconnect, m.pretransfer, m.starttransfer}) {
    if (mark) chain.push_back(*mark);
  }
  chain.push_back(m.total);
  for (std::size_t i = 1; i < chain.size(); ++i) EXPECT_LE(chain[i - 1], chain[i]) << "mark " << i;
  if (m.posttransfer) {
    if (m.pretransfer) {
      EXPECT_LE(*m.pretransfer, *m.posttransfer);
    }
    EXPECT_LE(*m.posttransfer, m.total);
  }
}

// pool_wait + dns + connect + tls + send + wait + receive == total, exactly (in the whole
// microseconds every value is made of).
inline void expect_exact_sum(const Phases& p) {
  int64_t sum = 0;
  for (const auto& phase : {p.pool_wait, p.dns, p.connect, p.tls, p.send, p.wait, p.receive}) {
    sum += us(phase).value_or(0);
  }
  EXPECT_EQ(sum, us(p.total));
}

inline void expect_consistent(Timeline& t, std::size_t hop) {
  expect_ordered(t.marks(hop));
  expect_exact_sum(t.phases(hop));
  HarTimings h = t.har_timings(hop);
  int64_t sum = 0;
  for (double v : {h.blocked, h.dns, h.connect, h.send, h.wait, h.receive}) {
    if (v >= 0) sum += us(v);
  }
  EXPECT_EQ(us(h.time), sum);
  EXPECT_EQ(us(h.time), us(t.phases(hop).total));
}

// A fresh plain-HTTP request to an IP literal, from start to the body's end.
inline void fresh_plain(Script& s) {
  s.at(0).start();
  s.at(0.010).get_conn();
  s.at(0.020).connect_start();
  s.at(1.020).connect_done();
  s.at(1.030).got_conn(kConn);
  s.at(1.035).field("Host", {"127.0.0.1:8080"});
  s.at(1.040).wrote_headers();
}

// A keep-alive request on an idle pooled connection.
inline void reused(Script& s) {
  s.at(0).start();
  s.at(0.005).get_conn();
  s.at(0.015).got_conn(kConn, true, true, std::chrono::milliseconds(250));
  s.at(0.020).wrote_headers();
  s.at(0.030).wrote_request();
  s.at(0.530).first_byte();
  s.at(0.540).respond();
  s.at(0.600).mark_end();
}

}  // namespace httptrace::testing
