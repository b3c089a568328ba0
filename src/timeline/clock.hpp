#pragma once
// The clock seam of the timeline recorder. Production timelines read steady_clock and
// system_clock directly; tests attach a Timeline with a TimelineClock of their own to get
// deterministic stamps (tests/timeline). Not part of the public API.

#include <chrono>
#include <memory>
#include <utility>

#include "httptrace/context.hpp"
#include "httptrace/timeline.hpp"

namespace httptrace::detail {

class TimelineClock {
 public:
  virtual ~TimelineClock() = default;
  virtual std::chrono::steady_clock::time_point steady_now() const = 0;
  virtual std::chrono::system_clock::time_point system_now() const = 0;
};

// Timeline::attach with `clock` instead of the real clocks; `clock` must outlive the returned
// context and Timeline.
std::pair<Context, std::shared_ptr<Timeline>> attach_timeline(const Context& ctx,
                                                              const TimelineClock& clock,
                                                              TimelineOptions options = {});

}  // namespace httptrace::detail
