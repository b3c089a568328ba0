#pragma once
// When each request of a `load` run is due. With a rate (-q) the schedule is global and fixed in
// advance — request i is due at start + i / rate, whoever sends it — so a stalled server makes
// requests late, and their latency, measured from when they were due, shows it (the open model:
// no coordinated omission, as wrk2 and oha --latency-correction measure). Without a rate each
// worker sends its next request as soon as the last one finished (the closed model), and a
// request is due when it is taken.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>

namespace httptrace::cli {

class RateSchedule {
 public:
  using Clock = std::chrono::steady_clock;

  struct Ticket {
    uint64_t index = 0;  // 0-based, in the order requests were due
    Clock::time_point due;
  };

  // `max_requests` 0 = no count limit; `duration` 0 = no time limit (then max_requests must be
  // set); `rate` 0 = the closed model, else requests per second across all workers. Throws
  // std::invalid_argument when nothing would end the run or the rate is negative.
  RateSchedule(uint64_t max_requests, std::chrono::nanoseconds duration, double rate,
               Clock::time_point start);

  // The next request, returned once it is due (the caller's thread waits); nullopt when the
  // run is over — the count reached, the next due time at or past the duration, or stop().
  // Any thread.
  std::optional<Ticket> next();
  // As next() without waiting: the next request and when it is due — possibly later than now,
  // for a caller that waits its own way (an event loop's timer) — or nullopt when the run is
  // over. Any thread.
  std::optional<Ticket> take();
  // Ends the run: next() returns nullopt from now on, waiting callers included. Any thread.
  void stop();
  bool stopped() const noexcept { return stopped_.load(std::memory_order_relaxed); }

  Clock::time_point start() const noexcept { return start_; }
  // The due time of request `index` under a rate (start() without one).
  Clock::time_point due_time(uint64_t index) const noexcept;

 private:
  const uint64_t max_requests_;
  const std::chrono::nanoseconds duration_;
  const double rate_;
  const Clock::time_point start_;
  std::atomic<uint64_t> next_index_{0};
  std::atomic<bool> stopped_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
};

}  // namespace httptrace::cli
