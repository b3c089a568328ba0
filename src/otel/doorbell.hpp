// Doorbell: how request threads wake the export thread without taking a lock it might hold.
// A lock would make a request wait whenever the export thread is preempted while holding it
// (at idle priority on a busy machine, for milliseconds); a futex word needs no lock, and a ring
// that comes between reading the word and sleeping makes the sleep return at once, so no ring
// is lost.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace httptrace::otel::detail {

class Doorbell {
 public:
  // What ring() changes: read it before checking for work, then pass it to sleep().
  uint32_t state() const { return word_.load(std::memory_order_seq_cst); }
  // Wakes the thread sleeping on the bell, if any. Any thread; never blocks (one system call).
  void ring();
  // Sleeps until ring() is called after state() returned `seen`, or `timeout` passes, or
  // spuriously: callers check for work again. The waiting thread only.
  void sleep(uint32_t seen, std::chrono::nanoseconds timeout);

 private:
  std::atomic<uint32_t> word_{0};
};

}  // namespace httptrace::otel::detail
