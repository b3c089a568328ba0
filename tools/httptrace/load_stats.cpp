#include "load_stats.hpp"

#include <algorithm>

namespace httptrace::cli {

void LoadStats::record(const LoadSample& s) {
  requests_.fetch_add(1, std::memory_order_relaxed);
  bytes_.fetch_add(s.bytes, std::memory_order_relaxed);
  new_conns_.fetch_add(static_cast<uint64_t>(s.new_conns), std::memory_order_relaxed);
  reused_conns_.fetch_add(static_cast<uint64_t>(s.reused_conns), std::memory_order_relaxed);
  if (s.reused && s.idle_us >= 0) idle_.record(static_cast<uint64_t>(s.idle_us));
  if (!s.ok()) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(errors_mutex_);
    // Error texts name addresses and ports; past this many kinds the rest share one line.
    constexpr std::size_t kMaxKinds = 100;
    auto it = error_counts_.find(s.error);
    if (it != error_counts_.end()) {
      ++it->second;
    } else if (error_counts_.size() < kMaxKinds) {
      error_counts_.emplace(s.error, 1);
    } else {
      ++error_counts_["(other errors)"];
    }
    return;
  }
  if (s.status > 0 && s.status <= kMaxStatus) {
    statuses_[static_cast<std::size_t>(s.status)].fetch_add(1, std::memory_order_relaxed);
  }
  latency_.record(static_cast<uint64_t>(std::max<int64_t>(s.latency_us, 0)));
  for (std::size_t i = 0; i < kLoadPhaseCount; ++i) {
    if (s.phase_us[i] >= 0) phases_[i].record(static_cast<uint64_t>(s.phase_us[i]));
  }
}

std::map<int, uint64_t> LoadStats::status_counts() const {
  std::map<int, uint64_t> out;
  for (int code = 0; code <= kMaxStatus; ++code) {
    const uint64_t n = statuses_[static_cast<std::size_t>(code)].load(std::memory_order_relaxed);
    if (n != 0) out[code] = n;
  }
  return out;
}

std::map<std::string, uint64_t> LoadStats::error_counts() const {
  std::lock_guard lock(errors_mutex_);
  return error_counts_;
}

}  // namespace httptrace::cli
