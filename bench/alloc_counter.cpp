#include "alloc_counter.hpp"

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace bench {
namespace {

std::atomic<bool> counting{false};
std::atomic<std::uint64_t> allocations{0};

// The standard's loop: call the new-handler until it gives up (it throws or there is none).
void* allocate(std::size_t size, std::size_t alignment) {
  note_allocation();
  if (size == 0) size = 1;
  for (;;) {
    void* p = nullptr;
    if (alignment <= alignof(std::max_align_t)) {
      p = std::malloc(size);
    } else if (posix_memalign(&p, alignment, size) != 0) {
      p = nullptr;
    }
    if (p != nullptr) return p;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

void* allocate_nothrow(std::size_t size, std::size_t alignment) noexcept {
  try {
    return allocate(size, alignment);
  } catch (...) {
    return nullptr;
  }
}

constexpr std::size_t kDefault = alignof(std::max_align_t);

}  // namespace

void start_counting_allocations() noexcept {
  allocations.store(0, std::memory_order_relaxed);
  counting.store(true, std::memory_order_release);
}

std::uint64_t stop_counting_allocations() noexcept {
  counting.store(false, std::memory_order_release);
  return allocations.load(std::memory_order_relaxed);
}

void note_allocation() noexcept {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace bench

// Every replaceable form ([new.delete]): plain, array, nothrow, aligned, and the sized deletes.
void* operator new(std::size_t size) {
  return bench::allocate(size, bench::kDefault);
}
void* operator new[](std::size_t size) {
  return bench::allocate(size, bench::kDefault);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return bench::allocate_nothrow(size, bench::kDefault);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return bench::allocate_nothrow(size, bench::kDefault);
}
void* operator new(std::size_t size, std::align_val_t al) {
  return bench::allocate(size, static_cast<std::size_t>(al));
}
void* operator new[](std::size_t size, std::align_val_t al) {
  return bench::allocate(size, static_cast<std::size_t>(al));
}
void* operator new(std::size_t size, std::align_val_t al, const std::nothrow_t&) noexcept {
  return bench::allocate_nothrow(size, static_cast<std::size_t>(al));
}
void* operator new[](std::size_t size, std::align_val_t al, const std::nothrow_t&) noexcept {
  return bench::allocate_nothrow(size, static_cast<std::size_t>(al));
}

void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(p);
}
