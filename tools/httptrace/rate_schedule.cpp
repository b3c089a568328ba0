#include "rate_schedule.hpp"

#include <cmath>
#include <stdexcept>

namespace httptrace::cli {

RateSchedule::RateSchedule(uint64_t max_requests, std::chrono::nanoseconds duration, double rate,
                           Clock::time_point start)
    : max_requests_(max_requests), duration_(duration), rate_(rate), start_(start) {
  if (max_requests == 0 && duration.count() <= 0) {
    throw std::invalid_argument("RateSchedule: neither a request count nor a duration");
  }
  if (!(rate >= 0) || !std::isfinite(rate)) throw std::invalid_argument("RateSchedule: bad rate");
}

RateSchedule::Clock::time_point RateSchedule::due_time(uint64_t index) const noexcept {
  if (rate_ <= 0) return start_;
  // From the start each time, never by accumulating intervals: no drift over a long run.
  const double offset_ns = static_cast<double>(index) * 1e9 / rate_;
  return start_ + std::chrono::nanoseconds(std::llround(offset_ns));
}

std::optional<RateSchedule::Ticket> RateSchedule::take() {
  if (stopped()) return std::nullopt;
  const uint64_t index = next_index_.fetch_add(1, std::memory_order_relaxed);
  if (max_requests_ != 0 && index >= max_requests_) return std::nullopt;
  const bool timed = duration_.count() > 0;
  if (rate_ <= 0) {
    const Clock::time_point now = Clock::now();
    if (timed && now >= start_ + duration_) return std::nullopt;
    return Ticket{index, now};
  }
  const Clock::time_point due = due_time(index);
  if (timed && due >= start_ + duration_) return std::nullopt;
  return Ticket{index, due};
}

std::optional<RateSchedule::Ticket> RateSchedule::next() {
  std::optional<Ticket> ticket = take();
  if (!ticket || ticket->due <= Clock::now()) return ticket;
  std::unique_lock lock(mutex_);
  if (wake_.wait_until(lock, ticket->due, [this] { return stopped(); })) return std::nullopt;
  return ticket;
}

void RateSchedule::stop() {
  {
    std::lock_guard lock(mutex_);
    stopped_.store(true, std::memory_order_relaxed);
  }
  wake_.notify_all();
}

}  // namespace httptrace::cli
