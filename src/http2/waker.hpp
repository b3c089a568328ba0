#pragma once
// Waker: one eventfd per thread, on which a thread waiting for an HTTP/2 connection sleeps
// (together with its own Context) until the thread driving the connection signals it. One per
// thread rather than per stream: a thread waits for one thing at a time, and reusing the fd
// spares two system calls per request.

#include <optional>

#include "httptrace/context.hpp"
#include "httptrace/error.hpp"
#include "net/unique_fd.hpp"
#include "net/wait_io.hpp"

namespace httptrace::http2 {

class Waker {
 public:
  // The calling thread's waker, made on first use. Throws std::system_error if no eventfd can
  // be made (the process is out of descriptors).
  static Waker& for_this_thread();

  int fd() const noexcept { return fd_.get(); }
  // Makes the next (or current) wait return. Any thread; never blocks.
  void signal() const noexcept;
  // Sleeps until signalled, `ctx` ends or `deadline` passes (wait_io's errors), and clears the
  // signal.
  [[nodiscard]] Result<void> wait(const Context& ctx, std::optional<net::TimePoint> deadline) const;

 private:
  Waker();
  net::UniqueFd fd_;
};

}  // namespace httptrace::http2
