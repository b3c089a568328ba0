#pragma once
// wait_io: the one place the library blocks. Every wait — DNS sockets, connect, TLS, request
// writes, response reads — goes through it with the request's Context, so cancellation and
// deadlines cut through all of them.

#include <poll.h>

#include <chrono>
#include <optional>
#include <span>

#include "httptrace/context.hpp"
#include "httptrace/error.hpp"

namespace httptrace::net {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

// Waits until one of `fds` reports one of its requested events (their revents are filled), the
// context ends, or `op_deadline` passes. Errors: a copy of ctx.err() (canceled /
// deadline_exceeded) when the context ends first; ErrorCode::timeout with message
// "i/o timeout" when `op_deadline` passes first (callers rewrite it to name their operation);
// ErrorCode::network if poll itself fails. Entries with fd < 0 are ignored, as poll does.
[[nodiscard]] Result<void> wait_io(std::span<pollfd> fds, const Context& ctx,
                                   std::optional<TimePoint> op_deadline = std::nullopt);

// One fd; returns its revents.
[[nodiscard]] Result<short> wait_fd(int fd, short events, const Context& ctx,
                                    std::optional<TimePoint> op_deadline = std::nullopt);

// True when waiting on `ctx` can never end early (no deadline, no cancellation): a blocking
// system call is then as good as a poll, and cheaper.
bool never_ends(const Context& ctx) noexcept;

// The earlier of two optional deadlines.
inline std::optional<TimePoint> earliest(std::optional<TimePoint> a, std::optional<TimePoint> b) {
  if (!a) return b;
  if (!b) return a;
  return *a < *b ? a : b;
}

}  // namespace httptrace::net
