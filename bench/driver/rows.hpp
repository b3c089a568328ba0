#pragma once
// The rows P1–P9 of spec/performance.md, each measured side by side and turned into table
// lines.

#include <filesystem>
#include <vector>

#include "bench_server.hpp"
#include "table.hpp"

namespace bench {

// Rounds P1 and P2 run beyond BenchSetup::rounds: their medians sit near their targets, and a
// round's ratio on a shared machine ranges widely (P1's rounds 0.9–1.45 in one run, around a
// median of ~1.2: with 11 rounds the median moved ±0.03 from run to run; P2's rounds ±0.1
// around a margin of 3 %: with 9 rounds its verdict went either way from one run to the next,
// 27 rounds read 0.99; with 15 it read 0.98–1.02 in six runs and 1.04 in a seventh).
inline constexpr int kP1ExtraRounds = 14;
inline constexpr int kP2ExtraRounds = 18;
// P3 (wall-clock req/s, 3 % from 1) read 0.94–1.12 from run to run with 7 rounds, and 0.94 in
// a full run whose P3 alone read 1.01–1.03 right after: its rounds are cheap (~0.5 s each).
inline constexpr int kP3ExtraRounds = 8;

struct BenchSetup {
  std::filesystem::path bin_dir;  // where the bench_* clients and httptrace are
  const BenchServer* server = nullptr;
  int rounds = 7;         // A B A B rounds per row (P1 and P2 get more, above)
  bool has_curl = false;  // bench_curl_client was built (libcurl found)
};

std::vector<TableRow> row_p1_small_keep_alive(const BenchSetup& setup);
std::vector<TableRow> row_p2_all_hooks(const BenchSetup& setup);
std::vector<TableRow> row_p3_one_mebibyte(const BenchSetup& setup);
std::vector<TableRow> row_p4_https_keep_alive(const BenchSetup& setup);
std::vector<TableRow> row_p5_https_new_connection(const BenchSetup& setup);
std::vector<TableRow> row_p6_load(const BenchSetup& setup);
std::vector<TableRow> row_p7_allocations(const BenchSetup& setup);
std::vector<TableRow> row_p8_idle_connections(const BenchSetup& setup);
std::vector<TableRow> row_p9_http2_streams(const BenchSetup& setup);

}  // namespace bench
