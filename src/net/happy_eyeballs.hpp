#pragma once
// Happy Eyeballs as Go's net.Dialer races address families (dialParallel / dialSerial, RFC
// 8305 in spirit): both racers run on the caller's thread, their sockets polled together by
// one wait_io, so every connect hook fires on that thread before the race returns.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>

#include "httptrace/context.hpp"
#include "httptrace/error.hpp"
#include "httptrace/ip_address.hpp"
#include "httptrace/trace.hpp"
#include "net/unique_fd.hpp"
#include "net/wait_io.hpp"

namespace httptrace::net {

struct RacePlan {
  // Tried in turn; the first address's family.
  std::span<const IpAddress> primaries;
  // The other family, tried in turn by a second racer that starts `fallback_delay` after the
  // first, or at once when every primary has failed. Empty = no race.
  std::span<const IpAddress> fallbacks;
  uint16_t port = 0;
  std::chrono::nanoseconds fallback_delay{300'000'000};
  // The whole dial's deadline (the earlier of the dial timeout and the context's): each
  // attempt gets a share of what remains (Go's partialDeadline).
  std::optional<TimePoint> deadline;
};

// The first connected socket (non-blocking still). connect_start / connect_done fire once per
// attempt, in the order things happen; the losing racer's pending attempt ends with
// connect_done(canceled) before this returns. Errors: the primaries' first error when every
// attempt failed (Go returns the primary's); a copy of the context's error when it ended.
[[nodiscard]] Result<UniqueFd> race(const Context& ctx, const RacePlan& plan,
                                    const ClientTrace* trace);

// Go's partialDeadline: an equal share of the time left for each remaining address, but at
// least 2 s when that much is left; nullopt when no time is left.
std::optional<TimePoint> partial_deadline(TimePoint now, TimePoint deadline,
                                          std::size_t addresses_left);

}  // namespace httptrace::net
