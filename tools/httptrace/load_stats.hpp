#pragma once
// The running totals of a `load` run, shared by every worker: HDR histograms of the latency,
// of each phase and of pooled connections' idle time; counters; status and error counts.
// record() is lock-free except for a failed request's error text; the progress line reads
// while the workers record.

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "hdr_histogram.hpp"
#include "load_sample.hpp"

namespace httptrace::cli {

class LoadStats {
 public:
  // Any thread. Latency and phases are counted for requests that got a response; a phase only
  // when it happened (so `tls` and `connect` describe new connections only).
  void record(const LoadSample& sample);

  uint64_t requests() const noexcept { return requests_.load(std::memory_order_relaxed); }
  uint64_t errors() const noexcept { return errors_.load(std::memory_order_relaxed); }
  uint64_t bytes() const noexcept { return bytes_.load(std::memory_order_relaxed); }
  uint64_t new_conns() const noexcept { return new_conns_.load(std::memory_order_relaxed); }
  uint64_t reused_conns() const noexcept { return reused_conns_.load(std::memory_order_relaxed); }
  const HdrHistogram& latency() const noexcept { return latency_; }
  const HdrHistogram& phase(LoadPhase p) const noexcept {
    return phases_[static_cast<std::size_t>(p)];
  }
  const HdrHistogram& idle() const noexcept { return idle_; }
  std::map<int, uint64_t> status_counts() const;
  std::map<std::string, uint64_t> error_counts() const;

 private:
  static constexpr int kMaxStatus = 999;

  std::atomic<uint64_t> requests_{0}, errors_{0}, bytes_{0}, new_conns_{0}, reused_conns_{0};
  HdrHistogram latency_;
  std::array<HdrHistogram, kLoadPhaseCount> phases_;
  HdrHistogram idle_;
  std::array<std::atomic<uint64_t>, kMaxStatus + 1> statuses_{};
  mutable std::mutex errors_mutex_;
  std::map<std::string, uint64_t> error_counts_;
};

}  // namespace httptrace::cli
