#include "load_report.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "load_csv.hpp"
#include "progress_line.hpp"

namespace httptrace::cli {
namespace {

using namespace std::chrono_literals;

LoadSample sample(uint64_t index, int64_t latency_us, bool reused) {
  LoadSample s;
  s.index = index;
  s.scheduled_us = static_cast<int64_t>(index) * 1000;
  s.phase_us.fill(LoadSample::kAbsent);
  s.phase_us[static_cast<std::size_t>(LoadPhase::queue)] = 0;
  s.phase_us[static_cast<std::size_t>(LoadPhase::pool_wait)] = 1;
  s.phase_us[static_cast<std::size_t>(LoadPhase::connect)] = reused ? LoadSample::kAbsent : 100;
  s.phase_us[static_cast<std::size_t>(LoadPhase::send)] = 9;
  s.phase_us[static_cast<std::size_t>(LoadPhase::wait)] = latency_us - 20 - (reused ? 0 : 100);
  s.phase_us[static_cast<std::size_t>(LoadPhase::receive)] = 10;
  s.total_us = latency_us;
  s.latency_us = latency_us;
  s.status = 200;
  s.bytes = 12;
  s.new_conns = reused ? 0 : 1;
  s.reused_conns = reused ? 1 : 0;
  s.reused = reused;
  s.idle_us = reused ? 5 : LoadSample::kAbsent;
  return s;
}

TEST(HistogramBounds, AreEvenForANarrowSpreadAndGeometricForALongTail) {
  EXPECT_EQ(histogram_bounds(100, 200, 4), (std::vector<uint64_t>{125, 150, 175, 200}));
  const std::vector<uint64_t> tail = histogram_bounds(100, 100'000, 3);
  EXPECT_EQ(tail, (std::vector<uint64_t>{1000, 10'000, 100'000}));
  EXPECT_EQ(histogram_bounds(50, 50, 10), (std::vector<uint64_t>{50}));
}

TEST(LoadCsv, WritesEveryPhaseAndLeavesAbsentOnesEmpty) {
  std::string rows;
  append_csv_row(rows, sample(7, 1234, true));
  LoadSample failed;
  failed.index = 8;
  failed.phase_us.fill(LoadSample::kAbsent);
  failed.error = "dial tcp 127.0.0.1:9: connect: connection refused, \"twice\"";
  append_csv_row(rows, failed);
  EXPECT_EQ(csv_header(),
            "request,scheduled_ms,latency_ms,queue_ms,pool_wait_ms,dns_ms,connect_ms,tls_ms,send_"
            "ms,wait_ms,"
            "receive_ms,total_ms,status,bytes,reused,idle_ms,error\n");
  EXPECT_EQ(rows,
            "7,7.000,1.234,0.000,0.001,,,,0.009,1.214,0.010,1.234,200,12,true,0.005,\n"
            "8,0.000,,,,,,,,,,0.000,,0,false,,\"dial tcp 127.0.0.1:9: connect: connection refused, "
            "\"\"twice\"\"\"\n");
}

TEST(LoadReport, JsonSummarisesTheStats) {
  LoadStats stats;
  stats.record(sample(0, 2000, false));
  stats.record(sample(1, 1000, true));
  stats.record(sample(2, 1000, true));
  LoadSample failed;
  failed.phase_us.fill(LoadSample::kAbsent);
  failed.error = "boom";
  stats.record(failed);
  const LoadPlan plan{"GET", "http://127.0.0.1:1/", 4, 0s, 2, 0};
  const LoadOutcome outcome{plan, stats, 2.0, false};
  const nlohmann::json j = nlohmann::json::parse(load_report_json(outcome));
  EXPECT_EQ(j.at("requests"), 4);
  EXPECT_EQ(j.at("errors"), 1);
  EXPECT_DOUBLE_EQ(j.at("requests_per_sec").get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(j.at("latency_ms").at("min").get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j.at("latency_ms").at("max").get<double>(), 2.0);
  EXPECT_NEAR(j.at("latency_ms").at("mean").get<double>(), 4.0 / 3, 0.001);
  EXPECT_EQ(j.at("phases_ms").at("connect").at("count"), 1);
  EXPECT_DOUBLE_EQ(j.at("phases_ms").at("connect").at("max").get<double>(), 0.1);
  EXPECT_EQ(j.at("phases_ms").at("tls").at("count"), 0);
  EXPECT_TRUE(j.at("phases_ms").at("tls").at("p99").is_null());
  EXPECT_EQ(j.at("connections").at("new"), 1);
  EXPECT_EQ(j.at("connections").at("reused"), 2);
  EXPECT_DOUBLE_EQ(j.at("connections").at("idle_ms").at("max").get<double>(), 0.005);
  EXPECT_EQ(j.at("status_codes"), nlohmann::json({{"200", 3}}));
  EXPECT_EQ(j.at("error_counts"), nlohmann::json({{"boom", 1}}));
  EXPECT_EQ(j.at("model"), "closed");
}

TEST(LoadReport, TextShowsEverySectionWithoutColourWhenAsked) {
  LoadStats stats;
  for (uint64_t i = 0; i < 10; ++i)
    stats.record(sample(i, 1000 + static_cast<int64_t>(i) * 100, i > 0));
  const LoadPlan plan{"GET", "http://127.0.0.1:1/", 10, 0s, 1, 50};
  const std::string text = load_report_text(LoadOutcome{plan, stats, 1.0, false}, Palette(false));
  for (const char* part : {"Load: GET http://127.0.0.1:1/", "50 req/s scheduled",
                           "Requests     10 in 1.00 s, 0 errors", "p99.9", "Queue (late start)",
                           "TCP connect", "1 new, 9 reused", "[200] 10 responses"}) {
    EXPECT_NE(text.find(part), std::string::npos) << part << " in\n" << text;
  }
  EXPECT_EQ(text.find("\x1b["), std::string::npos);
}

TEST(ProgressLine, SaysHowFarTheRunIsAndTheLatencySoFar) {
  LoadStats stats;
  for (uint64_t i = 0; i < 3; ++i) stats.record(sample(i, 1500, true));
  const LoadPlan counted{"GET", "u", 1000, 0s, 4, 0};
  EXPECT_EQ(ProgressLine::text(counted, stats, 2.04, 1234.4),
            "3/1,000 requests · 2.0 s · 1,234 req/s · 0 errors · p50 1.50 ms · p99 1.50 ms");
  const LoadPlan timed{"GET", "u", 0, 10s, 4, 0};
  EXPECT_EQ(ProgressLine::text(timed, LoadStats{}, 3.26, 0),
            "0 requests · 3.3/10 s · 0 req/s · 0 errors");
}

}  // namespace
}  // namespace httptrace::cli
