#pragma once
// Streaming gzip decoding for transparent decompression (trace-semantics §8.3), sans-I/O:
// bytes in, bytes out, bounded memory whatever the ratio. Multistream like Go's gzip.Reader:
// members may follow each other; anything else after a member is an error.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "httptrace/error.hpp"

namespace httptrace {

class Gunzip {
 public:
  // `max_output`: total decompressed bytes allowed (ErrorCode::body_too_large beyond); nullopt
  // = no limit.
  explicit Gunzip(std::optional<uint64_t> max_output = std::nullopt);
  ~Gunzip();
  Gunzip(Gunzip&&) noexcept;
  Gunzip& operator=(Gunzip&&) noexcept;

  struct Progress {
    std::size_t consumed = 0;  // bytes of `in` used
    std::size_t produced = 0;  // bytes written to `out`
  };
  // Decompresses as much of `in` into `out` as fits. Errors: ErrorCode::protocol for corrupt
  // data or a bad header/checksum ("gzip: invalid header", "gzip: invalid checksum"),
  // body_too_large past max_output.
  [[nodiscard]] Result<Progress> inflate(std::span<const std::byte> in, std::span<std::byte> out);
  // Whether the input so far ends exactly after a complete member (so end of input is a clean
  // end of the body); false before any input or mid-member (then end of input means the body
  // was cut short: ErrorCode::body_truncated, Go's unexpected EOF).
  bool at_member_boundary() const noexcept;
  // Output is pending inside zlib (call inflate again with no new input).
  bool has_pending_output() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace httptrace
