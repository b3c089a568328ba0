#pragma once
// The bytes read from a connection and not yet consumed. A response head is parsed in place
// (the parser needs it contiguous); body bytes are handed on or read around it.

#include <cstddef>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>

namespace httptrace {

class ReadBuffer {
 public:
  // Go's bufio default; an idle connection keeps only this much (spec/performance.md P8).
  static constexpr std::size_t kDefaultCapacity = 4096;

  std::string_view unread() const noexcept {
    return {reinterpret_cast<const char*>(data_.get()) + begin_, end_ - begin_};
  }
  std::size_t size() const noexcept { return end_ - begin_; }
  bool empty() const noexcept { return begin_ == end_; }
  void consume(std::size_t n) noexcept {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  // Room for at least `min_space` more bytes after the unread ones, compacting or growing.
  std::span<std::byte> space(std::size_t min_space = 1);
  void commit(std::size_t n) noexcept { end_ += n; }
  // Copies up to out.size() unread bytes out.
  std::size_t take(std::span<std::byte> out) noexcept {
    std::size_t n = std::min(out.size(), size());
    if (n > 0) std::memcpy(out.data(), data_.get() + begin_, n);
    consume(n);
    return n;
  }
  // Back to the default capacity once empty (after an oversized head).
  void shrink() noexcept;
  void clear() noexcept { begin_ = end_ = 0; }

 private:
  std::unique_ptr<std::byte[]> data_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

inline std::span<std::byte> ReadBuffer::space(std::size_t min_space) {
  if (capacity_ - end_ >= min_space && capacity_ > 0) return {data_.get() + end_, capacity_ - end_};
  std::size_t unread = end_ - begin_;
  if (capacity_ - unread >= min_space && capacity_ > 0) {
    std::memmove(data_.get(), data_.get() + begin_, unread);
  } else {
    std::size_t capacity = std::max(kDefaultCapacity, capacity_ * 2);
    while (capacity - unread < min_space) capacity *= 2;
    auto grown = std::make_unique_for_overwrite<std::byte[]>(capacity);
    if (unread > 0) std::memcpy(grown.get(), data_.get() + begin_, unread);
    data_ = std::move(grown);
    capacity_ = capacity;
  }
  begin_ = 0;
  end_ = unread;
  return {data_.get() + end_, capacity_ - end_};
}

inline void ReadBuffer::shrink() noexcept {
  if (capacity_ <= kDefaultCapacity || !empty()) return;
  data_.reset();
  capacity_ = 0;
  begin_ = end_ = 0;
}

}  // namespace httptrace
