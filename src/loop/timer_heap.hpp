#pragma once
// The loop's timers: a binary min-heap of (when, task slot, generation) in a vector that stops
// growing once warm. Entries are never removed early: a task that re-arms leaves its old entry
// behind, and the loop skips entries whose task has moved on (another generation, or a
// different armed time) when they come due.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

namespace httptrace::loop {

struct TimerEntry {
  std::chrono::steady_clock::time_point at;
  uint32_t slot = 0;
  uint32_t generation = 0;

  friend bool operator>(const TimerEntry& a, const TimerEntry& b) noexcept { return a.at > b.at; }
};

class TimerHeap {
 public:
  void push(TimerEntry entry) {
    entries_.push_back(entry);
    std::push_heap(entries_.begin(), entries_.end(), std::greater<>{});
  }
  bool empty() const noexcept { return entries_.empty(); }
  const TimerEntry& top() const noexcept { return entries_.front(); }
  TimerEntry pop() {
    std::pop_heap(entries_.begin(), entries_.end(), std::greater<>{});
    TimerEntry entry = entries_.back();
    entries_.pop_back();
    return entry;
  }

 private:
  std::vector<TimerEntry> entries_;
};

}  // namespace httptrace::loop
