#pragma once
// One `load` request as measured: what the report, the CSV and the progress line are built from.
// Whole microseconds throughout, taken from the request's Timeline (timeline.md), so the phases
// of a request that got a response add up to its total, and queue + total = its latency.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace httptrace::cli {

// The phases of the load report, in the order they happen. `queue` is the open model's own:
// how late the request started after it was due (every worker busy); 0 without -q. The others
// are timeline.md's phases, summed over the request's hops when it followed redirects.
enum class LoadPhase : std::size_t { queue, pool_wait, dns, connect, tls, send, wait, receive };
inline constexpr std::size_t kLoadPhaseCount = 8;
inline constexpr std::array<std::string_view, kLoadPhaseCount> kLoadPhaseNames = {
    "queue", "pool_wait", "dns", "connect", "tls", "send", "wait", "receive"};

struct LoadSample {
  static constexpr int64_t kAbsent = -1;

  uint64_t index = 0;        // the request's place in the schedule
  int64_t scheduled_us = 0;  // when it was due, since the run started
  int64_t latency_us = 0;    // from when it was due to the end of its body
  int64_t total_us = 0;      // from its actual start (sum of its hops' totals)
  std::array<int64_t, kLoadPhaseCount> phase_us{};  // kAbsent when the phase did not happen
  int status = 0;                                   // 0 when the request failed
  uint64_t bytes = 0;                               // response body bytes read
  int new_conns = 0;                                // hops that dialed
  int reused_conns = 0;                             // hops that reused a pooled connection
  bool reused = false;                              // the final hop's connection was reused
  int64_t idle_us = kAbsent;  // how long that connection had idled in the pool
  std::string error;          // why it failed; empty on success

  bool ok() const noexcept { return status != 0; }
  int64_t phase(LoadPhase p) const noexcept { return phase_us[static_cast<std::size_t>(p)]; }
};

}  // namespace httptrace::cli
