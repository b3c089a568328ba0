#pragma once
// TimelineAccess: the recorder's and the views' way into Timeline's private record. Every
// function here expects the caller to hold the Timeline's mutex.

#include <chrono>
#include <cstddef>

#include "httptrace/timeline.hpp"
#include "timeline/derive.hpp"
#include "timeline/hop_record.hpp"

namespace httptrace::detail {

struct TimelineAccess {
  using time_point = std::chrono::steady_clock::time_point;

  // A Timeline reading `clock` (null: the real clocks).
  static std::shared_ptr<Timeline> make(const TimelineClock* clock, TimelineOptions options = {});
  static const TimelineOptions& options(const Timeline& t) noexcept { return t.options_; }
  // Exchanges `hop`'s event and argument buffers with the spare ones reset() keeps: reset()
  // keeps the first hop's, the next first hop takes them back.
  static void swap_spare_buffers(Timeline& t, HopRecord& hop) noexcept;
  static time_point steady_now(const Timeline& t);
  static std::chrono::system_clock::time_point system_now(const Timeline& t);
  static std::vector<HopRecord>& hops(Timeline& t) noexcept { return t.hops_; }
  static const std::vector<HopRecord>& hops(const Timeline& t) noexcept { return t.hops_; }
  static std::mutex& mutex(const Timeline& t) noexcept { return t.mutex_; }
  static const std::optional<time_point>& end_mark(const Timeline& t) noexcept {
    return t.end_mark_;
  }
  static const std::optional<uint64_t>& body_bytes_read(const Timeline& t) noexcept {
    return t.body_bytes_read_;
  }

  // The hop, or std::out_of_range.
  static const HopRecord& hop(const Timeline& t, std::size_t index);
  // When hop `index` ended (timeline.md "Stamps", `end`): a failed hop at its failure, an
  // intermediate hop at the next hop's start, the final hop at mark_end() (never before its
  // own last stamp), or when its response head arrived, or its last stamp while it runs.
  static time_point hop_end(const Timeline& t, std::size_t index);
  // The hop's stamps (select_stamps, up to hop_end) as offsets from its start.
  static Offsets offsets(const Timeline& t, std::size_t index);
};

}  // namespace httptrace::detail
