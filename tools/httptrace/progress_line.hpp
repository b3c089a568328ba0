#pragma once
// `load`'s live progress line on a terminal: requests done (of the total, or the time elapsed
// of the duration), the current request rate, errors, and p50 / p99 latency so far. Redrawn in
// place ("\r" and erase-line), cleared before the report.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "load_plan.hpp"
#include "load_stats.hpp"

namespace httptrace::cli {

class ProgressLine {
 public:
  using Clock = std::chrono::steady_clock;

  ProgressLine(std::FILE* out, const LoadPlan& plan, const LoadStats& stats,
               Clock::time_point start);
  // Redraws the line with the figures as of `now`.
  void draw(Clock::time_point now);
  // Erases the line (the cursor back at its start).
  void clear();

  // The text alone, for tests.
  static std::string text(const LoadPlan& plan, const LoadStats& stats, double elapsed_s,
                          double rate);

 private:
  std::FILE* out_;
  const LoadPlan& plan_;
  const LoadStats& stats_;
  Clock::time_point start_;
  Clock::time_point last_at_;
  uint64_t last_done_ = 0;
  double rate_ = 0;
  bool drawn_ = false;
};

}  // namespace httptrace::cli
