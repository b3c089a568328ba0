#include "slo.hpp"

#include <gtest/gtest.h>

namespace httptrace::cli {
namespace {

TEST(ParseSlo, ReadsKeysAndLimitsWithMillisecondsForBareNumbers) {
  auto limits = parse_slo("total=500ms,ttfb=200,dns=1.5s,tls=250us");
  ASSERT_TRUE(limits.has_value()) << limits.error();
  ASSERT_EQ(limits->size(), 4u);
  EXPECT_EQ((*limits)[0].key, "total");
  EXPECT_DOUBLE_EQ((*limits)[0].limit_ms, 500);
  EXPECT_DOUBLE_EQ((*limits)[1].limit_ms, 200);
  EXPECT_DOUBLE_EQ((*limits)[2].limit_ms, 1500);
  EXPECT_DOUBLE_EQ((*limits)[3].limit_ms, 0.25);
}

TEST(ParseSlo, NamesTheBadPart) {
  EXPECT_NE(parse_slo("").error().find("at least one"), std::string::npos);
  EXPECT_NE(parse_slo("total").error().find("KEY=LIMIT"), std::string::npos);
  EXPECT_NE(parse_slo("speed=5ms").error().find("\"speed\""), std::string::npos);
  EXPECT_NE(parse_slo("total=soon").error().find("\"soon\""), std::string::npos);
}

TEST(CheckSlo, CountsRedirectsInTotalAndTtfbAndLetsAbsentPhasesPass) {
  Phases phases;
  phases.connect = 3.0;
  phases.wait = 40.0;
  phases.total = 50.0;
  Marks marks;
  marks.starttransfer = 45.0;
  marks.total = 50.0;
  auto limits = parse_slo("total=60ms,ttfb=50ms,dns=0.001ms,connect=2ms,wait=40ms").value();
  const auto violations = check_slo(limits, phases, marks, 20.0);
  ASSERT_EQ(violations.size(), 3u);
  EXPECT_EQ(violations[0].key, "total");
  EXPECT_DOUBLE_EQ(violations[0].value_ms, 70.0);
  EXPECT_EQ(violations[1].key, "ttfb");
  EXPECT_DOUBLE_EQ(violations[1].value_ms, 65.0);
  EXPECT_EQ(violations[2].key, "connect");  // dns did not happen; wait equals its limit
}

}  // namespace
}  // namespace httptrace::cli
