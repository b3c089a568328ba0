#include "http2/waker.hpp"

#include <sys/eventfd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace httptrace::http2 {

Waker::Waker() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (!fd_) throw std::system_error(errno, std::generic_category(), "eventfd for an HTTP/2 waiter");
}

Waker& Waker::for_this_thread() {
  thread_local Waker waker;
  return waker;
}

void Waker::signal() const noexcept {
  const uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(fd_.get(), &one, sizeof one);
}

Result<void> Waker::wait(const Context& ctx, std::optional<net::TimePoint> deadline) const {
  auto ready = net::wait_fd(fd_.get(), POLLIN, ctx, deadline);
  uint64_t count = 0;
  [[maybe_unused]] auto drained = ::read(fd_.get(), &count, sizeof count);
  if (!ready) return fail(std::move(ready.error()));
  return {};
}

}  // namespace httptrace::http2
