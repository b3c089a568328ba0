// bench_driver: `make bench` and `make bench-callgrind` (docs/benchmarks.md). Starts nginx,
// runs the rows of spec/performance.md side by side against the raw-socket floor, libcurl and
// wrk, and prints one table.
//
//   bench_driver [--bin-dir DIR] [--rounds N] [--only P1,P3,...]
//   bench_driver --callgrind [--bin-dir DIR] [--out-dir DIR]

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "bench_server.hpp"
#include "callgrind.hpp"
#include "rows.hpp"
#include "table.hpp"

namespace {

struct DriverArgs {
  std::filesystem::path bin_dir;
  std::filesystem::path out_dir = "build/bench";
  int rounds = 7;
  std::string only;  // comma-separated row names; empty = all
  bool callgrind = false;
};

DriverArgs parse_args(int argc, char** argv) {
  DriverArgs args;
  args.bin_dir = std::filesystem::absolute(argv[0]).parent_path();
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    const bool has_value = i + 1 < argc;
    if (flag == "--callgrind") {
      args.callgrind = true;
    } else if (flag == "--bin-dir" && has_value) {
      args.bin_dir = std::filesystem::absolute(argv[++i]);
    } else if (flag == "--out-dir" && has_value) {
      args.out_dir = std::filesystem::absolute(argv[++i]);
    } else if (flag == "--rounds" && has_value) {
      args.rounds = std::max(1, std::stoi(argv[++i]));
    } else if (flag == "--only" && has_value) {
      args.only = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: %s [--bin-dir DIR] [--rounds N] [--only P1,P2,...]\n"
                   "       %s --callgrind [--bin-dir DIR] [--out-dir DIR]\n",
                   argv[0], argv[0]);
      std::exit(2);
    }
  }
  return args;
}

// P8 holds 10,000 connections: our soft limit goes up to the hard one, and nginx inherits it.
std::uint64_t raise_file_limit() {
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &files);
  return files.rlim_cur;
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

bool wanted(const std::string& only, const std::string& row) {
  if (only.empty()) return true;
  return ("," + only + ",").find("," + row + ",") != std::string::npos;
}

}  // namespace

int main(int argc, char** argv) {
  const DriverArgs args = parse_args(argc, argv);
  const std::uint64_t max_files = raise_file_limit();
  try {
    const bench::BenchServer server(max_files);
    bench::BenchSetup setup;
    setup.bin_dir = args.bin_dir;
    setup.server = &server;
    setup.rounds = args.rounds;
    setup.has_curl = std::filesystem::exists(args.bin_dir / "bench_curl_client");
    if (args.callgrind) return bench::run_callgrind(setup, args.out_dir);

    using RowFn = std::function<std::vector<bench::TableRow>(const bench::BenchSetup&)>;
    const std::vector<std::pair<std::string, RowFn>> rows = {
        {"P1", bench::row_p1_small_keep_alive},     {"P2", bench::row_p2_all_hooks},
        {"P3", bench::row_p3_one_mebibyte},         {"P4", bench::row_p4_https_keep_alive},
        {"P5", bench::row_p5_https_new_connection}, {"P6", bench::row_p6_load},
        {"P7", bench::row_p7_allocations},          {"P8", bench::row_p8_idle_connections},
        {"P9", bench::row_p9_http2_streams}};
    const std::string load_before = load_average();
    const auto started = std::chrono::steady_clock::now();
    std::vector<bench::TableRow> table;
    for (const auto& [name, run] : rows) {
      if (!wanted(args.only, name)) continue;
      std::fprintf(stderr, "bench: %s ...\n", name.c_str());
      for (bench::TableRow& line : run(setup)) table.push_back(std::move(line));
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("\n%s", bench::render_table(table).c_str());
    std::printf(
        "\n%d rounds A B A B (P1 %d, P2 %d, P3 %d), medians; ratio = ours / peer per round "
        "(median, spread in the note).\n"
        "Load average before %s, after %s; %.0f s. Ratios and bench-callgrind are what count.\n",
        args.rounds, args.rounds + bench::kP1ExtraRounds, args.rounds + bench::kP2ExtraRounds,
        args.rounds + bench::kP3ExtraRounds, load_before.c_str(), load_average().c_str(), seconds);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
