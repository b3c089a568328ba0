// The timing views of Timeline: hop ends, stamps, and every vocabulary derived from them.

#include <algorithm>

#include "httptrace/timeline.hpp"
#include "timeline/derive.hpp"
#include "timeline/timeline_access.hpp"

namespace httptrace {

namespace detail {

TimelineAccess::time_point TimelineAccess::hop_end(const Timeline& t, std::size_t index) {
  const HopRecord& hop = TimelineAccess::hop(t, index);  // throws for a hop out of range
  if (hop.error && hop.finished_at) return *hop.finished_at;
  if (index + 1 < t.hops_.size()) return t.hops_[index + 1].start;
  // put_idle_conn and mark_end itself may come from another thread in any order; every other
  // stamp precedes the end, so the end never precedes them (the marks' ordering invariants).
  time_point last = hop.start;
  for (const RawEvent& e : hop.events) {
    if (e.kind != EventKind::put_idle_conn && e.kind != EventKind::end) last = std::max(last, e.at);
  }
  if (t.end_mark_) return std::max(*t.end_mark_, last);
  return hop.finished_at.value_or(last);
}

Offsets TimelineAccess::offsets(const Timeline& t, std::size_t index) {
  return offsets_of(select_stamps(hop(t, index), hop_end(t, index)));
}

}  // namespace detail

using detail::TimelineAccess;

Stamps Timeline::stamps(std::size_t hop) const {
  std::lock_guard lock(mutex_);
  return detail::select_stamps(TimelineAccess::hop(*this, hop),
                               TimelineAccess::hop_end(*this, hop));
}

HopMeasure Timeline::measure(std::size_t hop) const {
  std::lock_guard lock(mutex_);
  const detail::HopRecord& record = TimelineAccess::hop(*this, hop);
  const Stamps stamps = detail::select_stamps(record, TimelineAccess::hop_end(*this, hop));
  HopMeasure m;
  m.start = stamps.start;
  m.phases = detail::phase_micros(detail::offsets_of(stamps));
  const uint16_t last = record.current_attempt();
  for (const detail::RawEvent& e : record.events) {
    if (e.kind != detail::EventKind::got_conn || e.attempt != last) continue;
    detail::ArgReader r(record.args, e.args);
    m.idle_time = detail::GotConnArgs::read(r).idle_time;
    m.got_conn = true;
    m.reused = (e.flags & detail::kReused) != 0;
    m.was_idle = (e.flags & detail::kWasIdle) != 0;
    break;
  }
  return m;
}

Phases Timeline::phases(std::size_t hop) const {
  std::lock_guard lock(mutex_);
  return detail::to_phases(detail::phase_micros(TimelineAccess::offsets(*this, hop)));
}

Marks Timeline::marks(std::size_t hop) const {
  std::lock_guard lock(mutex_);
  return detail::to_marks(TimelineAccess::offsets(*this, hop));
}

K6Timings Timeline::k6(std::size_t hop) const {
  std::lock_guard lock(mutex_);
  detail::Offsets o = TimelineAccess::offsets(*this, hop);
  return detail::to_k6(o, detail::phase_micros(o));
}

HarTimings Timeline::har_timings(std::size_t hop) const {
  std::lock_guard lock(mutex_);
  return detail::to_har(
      detail::to_har_micros(detail::phase_micros(TimelineAccess::offsets(*this, hop))));
}

double Timeline::redirect_ms() const {
  std::lock_guard lock(mutex_);
  if (hops_.size() < 2) return 0;
  return detail::ms(detail::round_micros(hops_.back().start - hops_.front().start));
}

}  // namespace httptrace
