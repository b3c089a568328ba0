#include "http2/stream_state.hpp"

#include <algorithm>
#include <cstring>

namespace httptrace::http2 {

void ByteQueue::append(std::span<const std::byte> data) {
  // Reclaim the consumed front before growing: the queue never holds more than the window.
  if (begin_ > 0 && begin_ >= bytes_.size() / 2) {
    bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(begin_));
    begin_ = 0;
  }
  bytes_.insert(bytes_.end(), data.begin(), data.end());
}

std::size_t ByteQueue::take(std::span<std::byte> out) noexcept {
  const std::size_t n = std::min(out.size(), size());
  if (n > 0) std::memcpy(out.data(), bytes_.data() + begin_, n);
  begin_ += n;
  if (begin_ == bytes_.size()) clear();
  return n;
}

void ByteQueue::clear() noexcept {
  bytes_.clear();
  begin_ = 0;
}

DataChunk StreamState::read(int32_t /*stream_id*/, std::span<std::byte> buf) {
  if (abandoned || !gate_open) {
    deferred = true;
    return DataChunk{.deferred = true};
  }
  std::size_t n = 0;
  if (!memory.empty()) {
    n = std::min(buf.size(), memory.size());
    std::memcpy(buf.data(), memory.data(), n);
    memory = memory.subspan(n);
  } else if (pending_begin < pending.size()) {
    n = std::min(buf.size(), pending.size() - pending_begin);
    std::memcpy(buf.data(), pending.data() + pending_begin, n);
    pending_begin += n;
    if (pending_begin == pending.size()) {
      pending.clear();
      pending_begin = 0;
    }
  }
  body_handed += n;
  if (n == 0 && !source_done) {
    deferred = true;
    return DataChunk{.deferred = true};
  }
  return DataChunk{.size = n, .end = source_done && queued_body() == 0};
}

}  // namespace httptrace::http2
