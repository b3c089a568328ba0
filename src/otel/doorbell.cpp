#include "otel/doorbell.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

namespace httptrace::otel::detail {
namespace {

// The kernel compares and sleeps on the atomic's own four bytes.
static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));
static_assert(std::atomic<uint32_t>::is_always_lock_free);

long futex(std::atomic<uint32_t>& word, int op, uint32_t value, const timespec* timeout) {
  return ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), op, value, timeout, nullptr, 0);
}

}  // namespace

void Doorbell::ring() {
  word_.fetch_add(1, std::memory_order_seq_cst);
  (void)futex(word_, FUTEX_WAKE_PRIVATE, 1, nullptr);  // one thread sleeps on a bell
}

void Doorbell::sleep(uint32_t seen, std::chrono::nanoseconds timeout) {
  if (timeout <= std::chrono::nanoseconds::zero()) return;
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  timespec relative{};
  relative.tv_sec = static_cast<time_t>(seconds.count());
  relative.tv_nsec = static_cast<long>((timeout - seconds).count());
  // EAGAIN (rung since `seen`), EINTR and ETIMEDOUT all mean: look again.
  (void)futex(word_, FUTEX_WAIT_PRIVATE, seen, &relative);
}

}  // namespace httptrace::otel::detail
