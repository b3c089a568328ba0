// The exporter's queue: a bounded ring that many request threads push to without a lock and one
// export thread pops from (D. Vyukov's bounded queue: each cell's sequence number says whether
// it is free for the push with ticket t, 2t, or holds that push's item, 2t + 1; doubled so that
// a ring of one cell can tell "holds ticket t" from "free for ticket t + 1").
// A push never waits for the popping thread, however long that thread is preempted: it fails
// only when the ring is full.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <thread>
#include <vector>

namespace httptrace::otel::detail {

template <typename T>
class TraceRing {
 public:
  // `capacity` > 0 items.
  explicit TraceRing(std::size_t capacity) : cells_(capacity) {
    for (std::size_t i = 0; i < capacity; ++i)
      cells_[i].seq.store(2 * i, std::memory_order_relaxed);
  }

  // Moves `item` in and returns its ticket (0, 1, 2… in push order), or nothing when the ring is
  // full (`item` is left as it was). Any thread.
  std::optional<uint64_t> push(T& item) {
    uint64_t ticket = pushed_.load(std::memory_order_relaxed);
    while (true) {
      Cell& cell = cells_[ticket % cells_.size()];
      const uint64_t seq = cell.seq.load(std::memory_order_acquire);
      if (seq == 2 * ticket) {
        if (pushed_.compare_exchange_weak(ticket, ticket + 1, std::memory_order_seq_cst,
                                          std::memory_order_relaxed)) {
          cell.item = std::move(item);
          cell.seq.store(2 * ticket + 1, std::memory_order_release);
          return ticket;
        }
      } else if (seq < 2 * ticket) {
        return std::nullopt;  // the cell still holds the item pushed one lap ago
      } else {
        ticket = pushed_.load(std::memory_order_relaxed);  // another push took this ticket
      }
    }
  }

  // The oldest item, in push order. The popping thread only. When the next ticket was taken but
  // its push has not finished storing yet, waits for it (a few instructions, unless that thread
  // was preempted): items leave in ticket order, so popped() counts exactly the tickets done.
  std::optional<T> pop() {
    const uint64_t ticket = popped_.load(std::memory_order_relaxed);
    Cell& cell = cells_[ticket % cells_.size()];
    while (cell.seq.load(std::memory_order_acquire) != 2 * ticket + 1) {
      if (pushed_.load(std::memory_order_seq_cst) <= ticket) return std::nullopt;
      std::this_thread::yield();
    }
    std::optional<T> item(std::move(cell.item));
    cell.seq.store(2 * (ticket + cells_.size()), std::memory_order_release);
    popped_.store(ticket + 1, std::memory_order_seq_cst);
    return item;
  }

  // Tickets handed out (pushes accepted, some maybe still storing) and items popped.
  uint64_t pushed() const { return pushed_.load(std::memory_order_seq_cst); }
  uint64_t popped() const { return popped_.load(std::memory_order_seq_cst); }
  std::size_t capacity() const { return cells_.size(); }

 private:
  struct Cell {
    std::atomic<uint64_t> seq{0};
    T item{};
  };

  std::vector<Cell> cells_;
  // Apart, so pushes and pops do not fight over one cache line.
  alignas(64) std::atomic<uint64_t> pushed_{0};
  alignas(64) std::atomic<uint64_t> popped_{0};
};

}  // namespace httptrace::otel::detail
