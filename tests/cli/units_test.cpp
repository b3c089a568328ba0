#include "units.hpp"

#include <gtest/gtest.h>

namespace httptrace::cli {
namespace {

using namespace std::chrono_literals;

TEST(ParseDuration, ReadsEveryUnitAndTheBareUnit) {
  EXPECT_EQ(parse_duration("250us", 1s), 250us);
  EXPECT_EQ(parse_duration("500ms", 1s), 500ms);
  EXPECT_EQ(parse_duration("1.5s", 1s), 1500ms);
  EXPECT_EQ(parse_duration("2m", 1s), 120s);
  EXPECT_EQ(parse_duration("1h", 1s), 3600s);
  EXPECT_EQ(parse_duration("10", 1s), 10s);
  EXPECT_EQ(parse_duration("10", 1ms), 10ms);
}

TEST(ParseDuration, RejectsWhatIsNotADuration) {
  for (const char* text : {"", "ms", "-5s", "5 s", "5parsecs", "1e3s", "2d", "25h"}) {
    EXPECT_FALSE(parse_duration(text, 1s).has_value()) << text;
  }
}

// Milliseconds in the pretty views are rounded, never truncated (httpstat truncates).
TEST(FormatMs, RoundsToThreeSignificantDigits) {
  EXPECT_EQ(format_ms(0.0), "0.000 ms");
  EXPECT_EQ(format_ms(0.4126), "0.413 ms");
  EXPECT_EQ(format_ms(0.9996), "1.00 ms");
  EXPECT_EQ(format_ms(1.999), "2.00 ms");
  EXPECT_EQ(format_ms(7.916), "7.92 ms");
  EXPECT_EQ(format_ms(38.46), "38.5 ms");
  EXPECT_EQ(format_ms(99.96), "100 ms");
  EXPECT_EQ(format_ms(612.6), "613 ms");
  EXPECT_EQ(format_ms(12345.4), "12345 ms");
}

TEST(FormatBytesAndCounts, ReadLikeAPersonWouldWriteThem) {
  EXPECT_EQ(format_bytes(12), "12 B");
  EXPECT_EQ(format_bytes(1536), "1.50 KiB");
  EXPECT_EQ(format_bytes(3 * 1024 * 1024 + 600 * 1024), "3.59 MiB");
  EXPECT_EQ(format_count(0), "0");
  EXPECT_EQ(format_count(999), "999");
  EXPECT_EQ(format_count(1000), "1,000");
  EXPECT_EQ(format_count(1234567), "1,234,567");
}

}  // namespace
}  // namespace httptrace::cli
