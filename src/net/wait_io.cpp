#include "net/wait_io.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <vector>

#include "context/context_node.hpp"

namespace httptrace::net {

[[gnu::hot]] bool never_ends(const Context& ctx) noexcept {
  const detail::ContextNode* node = detail::ContextNode::of(ctx);
  return node == nullptr || node->canceler == nullptr;
}

Result<void> wait_io(std::span<pollfd> fds, const Context& ctx, std::optional<TimePoint> op_deadline) {
  if (const Error* err = ctx.err()) return fail(*err);
  const int signal = detail::signal_fd(ctx);
  const std::optional<TimePoint> ctx_deadline = ctx.deadline();
  const std::optional<TimePoint> deadline = earliest(ctx_deadline, op_deadline);

  // The caller's fds plus the context's signal, without a heap allocation in the usual case.
  pollfd small[8];
  std::vector<pollfd> large;
  pollfd* set = small;
  const std::size_t count = fds.size() + (signal >= 0 ? 1 : 0);
  if (count > std::size(small)) {
    large.resize(count);
    set = large.data();
  }
  for (std::size_t i = 0; i < fds.size(); ++i) {
    set[i] = fds[i];
    set[i].revents = 0;
  }
  if (signal >= 0) set[fds.size()] = pollfd{signal, POLLIN, 0};

  for (;;) {
    timespec timeout{};
    timespec* timeout_ptr = nullptr;
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(*deadline - Clock::now());
      if (left.count() < 0) left = std::chrono::nanoseconds::zero();
      timeout.tv_sec = static_cast<time_t>(left.count() / 1'000'000'000);
      timeout.tv_nsec = static_cast<long>(left.count() % 1'000'000'000);
      timeout_ptr = &timeout;
    }
    int n = ::ppoll(set, count, timeout_ptr, nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorCode::network, std::string("poll: ") + std::strerror(errno));
    }
    if (signal >= 0 && set[fds.size()].revents != 0) {
      if (const Error* err = ctx.err()) return fail(*err);
    }
    if (n > 0) {
      bool any = false;
      for (std::size_t i = 0; i < fds.size(); ++i) {
        fds[i].revents = set[i].revents;
        any = any || set[i].revents != 0;
      }
      if (any) return {};
      continue;
    }
    // Timed out: the context's own deadline, or the operation's.
    if (const Error* err = ctx.err()) return fail(*err);
    if (op_deadline && Clock::now() >= *op_deadline) return fail(ErrorCode::timeout, "i/o timeout");
  }
}

Result<short> wait_fd(int fd, short events, const Context& ctx, std::optional<TimePoint> op_deadline) {
  pollfd p{fd, events, 0};
  auto ready = wait_io(std::span<pollfd>(&p, 1), ctx, op_deadline);
  if (!ready) return fail(std::move(ready.error()));
  return p.revents;
}

}  // namespace httptrace::net
