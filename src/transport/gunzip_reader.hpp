#pragma once
// GunzipReader: the transparent-gzip read loop every response body shares (HTTP/1 and HTTP/2,
// trace-semantics §8.3): coded bytes are pulled from the body's own source into a bounded
// buffer and handed out decoded. A body that ends mid-member is cut short (Go's
// "unexpected EOF").

#include <cstddef>
#include <memory>
#include <span>

#include "httptrace/error.hpp"
#include "transport/gunzip.hpp"

namespace httptrace {

class GunzipReader {
 public:
  // Decoded bytes into `out` (0 at the end), pulling coded ones with `source`, a callable
  // (std::span<std::byte>) -> Result<std::size_t> returning 0 at the end of the coded body.
  // Errors: the source's, as they are; gzip's (ErrorCode::protocol, body_too_large) and
  // ErrorCode::body_truncated for a body cut short, both with op "read body".
  template <class Source>
  [[nodiscard]] Result<std::size_t> read(std::span<std::byte> out, Source&& source) {
    if (!coded_) coded_ = std::make_unique_for_overwrite<std::byte[]>(kCodedBuffer);
    for (;;) {
      std::span<const std::byte> in(coded_.get() + begin_, end_ - begin_);
      if (!in.empty() || gunzip_.has_pending_output()) {
        auto progress = gunzip_.inflate(in, out);
        if (!progress) return fail(std::move(progress.error().with_op("read body")));
        begin_ += progress->consumed;
        if (begin_ == end_) begin_ = end_ = 0;
        if (progress->produced > 0) return progress->produced;
        if (progress->consumed > 0) continue;
      }
      if (source_ended_) {
        if (!gunzip_.at_member_boundary()) return fail(truncated());
        return std::size_t{0};
      }
      auto n = source(std::span<std::byte>(coded_.get() + end_, kCodedBuffer - end_));
      if (!n) return n;
      if (*n == 0) source_ended_ = true;
      end_ += *n;
    }
  }

 private:
  static constexpr std::size_t kCodedBuffer = 16 * 1024;
  static Error truncated();

  Gunzip gunzip_;
  std::unique_ptr<std::byte[]> coded_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  bool source_ended_ = false;
};

}  // namespace httptrace
