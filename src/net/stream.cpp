#include "net/stream.hpp"

#include <algorithm>
#include <vector>

namespace httptrace::net {

Result<std::size_t> Stream::read(std::span<std::byte> buf, const Context& ctx,
                                 std::optional<TimePoint> op_deadline) {
  for (;;) {
    auto n = try_read(buf);
    if (!n || *n != kWouldBlock) return n;
    auto ready = wait(true, false, ctx, op_deadline);
    if (!ready) return fail(std::move(ready.error()));
  }
}

Result<void> Stream::write(std::span<const ConstBuffer> parts, const Context& ctx) {
  // A local copy we can advance through partial writes.
  ConstBuffer small[4];
  std::vector<ConstBuffer> large;
  std::span<ConstBuffer> rest;
  if (parts.size() <= std::size(small)) {
    std::copy(parts.begin(), parts.end(), small);
    rest = std::span<ConstBuffer>(small, parts.size());
  } else {
    large.assign(parts.begin(), parts.end());
    rest = large;
  }
  while (!rest.empty()) {
    if (rest.front().empty()) {
      rest = rest.subspan(1);
      continue;
    }
    auto n = try_write(rest);
    if (!n) return fail(std::move(n.error()));
    if (*n == kWouldBlock) {
      auto ready = wait(false, true, ctx, std::nullopt);
      if (!ready) return fail(std::move(ready.error()));
      continue;
    }
    std::size_t written = *n;
    while (written > 0 && !rest.empty()) {
      std::size_t take = std::min(written, rest.front().size());
      rest.front() = rest.front().subspan(take);
      written -= take;
      if (rest.front().empty()) rest = rest.subspan(1);
    }
  }
  return {};
}

}  // namespace httptrace::net
