#pragma once
// Running the benchmark clients and summarising what they printed: A B A B rounds, medians,
// and per-round ratios (spec/performance.md "how we measure").

#include <string>
#include <vector>

namespace bench {

// One client run: the JSON line it printed (client_harness.hpp).
struct Measurement {
  std::string error;  // empty on success
  double cpu_us_per_request = 0;
  double requests_per_s = 0;
  double allocs_per_request = 0;
  double body_bytes_per_request = 0;
  bool ok() const noexcept { return error.empty(); }
};

// Runs argv to completion and reads its JSON line; a crash or a bad line is an error.
Measurement measure(const std::vector<std::string>& argv);

struct Contender {
  std::string label;
  std::vector<std::string> argv;
};

// Every run of one contender; `error` is the first failure (the contender is then not run
// again).
struct Series {
  std::vector<Measurement> runs;
  std::string error;
  bool ok() const noexcept { return error.empty() && !runs.empty(); }
};

// `rounds` rounds, each running every contender once in order (A B C A B C ...), so a drift in
// the machine's load touches all of them alike. Returns one Series per contender.
std::vector<Series> alternate(const std::vector<Contender>& contenders, int rounds);

using Metric = double Measurement::*;

double median(std::vector<double> values);
double median_of(const Series& series, Metric metric);

// The ratio a/b per round (runs side by side), summarised.
struct RatioSummary {
  double median = 0;
  double min = 0;
  double max = 0;
};
RatioSummary ratio_per_round(const Series& a, const Series& b, Metric metric);

}  // namespace bench
