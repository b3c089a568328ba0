#pragma once
// `load`'s final report: for people (totals, latency percentiles and histogram, the phase table,
// connections, status and error counts) and as JSON (`--json`, docs/cli.md "load --json",
// schema_version 1). Both read the same LoadStats.

#include <cstdint>
#include <string>
#include <vector>

#include "load_otlp.hpp"
#include "load_plan.hpp"
#include "load_stats.hpp"
#include "terminal.hpp"

namespace httptrace::cli {

struct LoadOutcome {
  const LoadPlan& plan;
  const LoadStats& stats;
  double duration_s = 0;  // from the start to the end of the last request
  bool interrupted = false;
  const LoadOtlpSummary* otlp = nullptr;  // --otlp

  double requests_per_sec() const {
    return duration_s > 0 ? static_cast<double>(stats.requests()) / duration_s : 0.0;
  }
};

// The percentiles every latency summary lists.
inline const std::vector<double> kLatencyPercentiles = {50, 75, 90, 95, 99, 99.9};

// Histogram rows: ascending upper bounds (µs) from the fastest to the slowest latency —
// evenly spaced, or geometrically when the slowest is over 20 times the fastest (a long tail
// would otherwise crowd every request into the first row).
std::vector<uint64_t> histogram_bounds(uint64_t min_us, uint64_t max_us, std::size_t rows);

std::string load_report_text(const LoadOutcome& outcome, const Palette& palette);
std::string load_report_json(const LoadOutcome& outcome);

}  // namespace httptrace::cli
