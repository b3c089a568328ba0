#pragma once
// The chunked transfer-coding decoder (RFC 9112 §7.1), sans-I/O and incremental. It separates
// framing from data without copying: each step names a range of the input that is body data.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "http1/field_section.hpp"
#include "http1/limits.hpp"
#include "httptrace/error.hpp"
#include "httptrace/header.hpp"

namespace httptrace::http1 {

class ChunkedDecoder {
 public:
  // `header_bytes_used` / `header_fields_used`: budget the response head already used; the
  // trailer shares it.
  ChunkedDecoder(const ParserLimits& limits, std::size_t header_bytes_used,
                 std::size_t header_fields_used) noexcept;

  struct Step {
    std::size_t consumed = 0;     // bytes of `in` this step used (framing and data)
    std::size_t data_offset = 0;  // body data: in.substr(data_offset, data_size)
    std::size_t data_size = 0;
  };

  // Consumes the next piece of `in`: a chunk-size line, some chunk data (at most what `in`
  // holds), a chunk's CRLF, or the trailer section. consumed == 0 means more input is needed
  // and `in` must be passed again with more bytes appended (a framing line is never split
  // across calls by the decoder: it waits for the whole line; lines are bounded by
  // max_chunk_line). Errors: ErrorCode::protocol ("invalid byte in chunk length", "chunk
  // length too large", "malformed chunked encoding", chunk extension too long, bad trailer
  // field), headers_too_large (trailer beyond the budget).
  [[nodiscard]] Result<Step> feed(std::string_view in);
  // The terminating chunk and trailer have been consumed.
  bool done() const noexcept { return state_ == State::done; }
  // Trailer fields (canonical keys), complete once done().
  const Header& trailer() const noexcept { return trailer_; }
  Header& trailer() noexcept { return trailer_; }

 private:
  enum class State : uint8_t { size_line, data, data_crlf, trailer, done };
  // Where the scan of a chunk-size line stands (RFC 9112 §7.1.1 chunk-ext grammar).
  enum class LineState : uint8_t {
    size,         // 1*HEXDIG
    after_size,   // BWS before ";" or the line end
    before_name,  // after ";": BWS, then a token
    name,
    after_name,    // BWS, then "=", ";" or the line end
    before_value,  // after "=": BWS, then a token or a quoted string
    token_value,
    quoted,
    quoted_pair,
    after_value,  // BWS, then ";" or the line end
    cr,           // CR seen: LF must follow
  };
  [[nodiscard]] Result<Step> advance(std::string_view in);
  // Scans the size line at the start of `in`; returns its length with the CRLF once complete,
  // 0 while more bytes are needed.
  [[nodiscard]] Result<std::size_t> scan_size_line(std::string_view in);
  [[nodiscard]] Result<void> finish_size_line(std::size_t line_length);
  [[nodiscard]] Result<bool> scan_trailer(std::string_view in);

  ParserLimits limits_;
  std::size_t header_bytes_used_;
  std::size_t header_fields_used_;
  State state_ = State::size_line;
  uint64_t remaining_ = 0;           // data bytes left in the current chunk (the size, while its
                                     //   line is scanned)
  std::size_t extension_bytes_ = 0;  // framing overhead beyond the per-chunk allowance
  std::size_t chunks_ = 0;
  Header trailer_;
  LineState line_state_ = LineState::size;
  std::size_t line_scanned_ = 0;  // bytes of the current size line already scanned
  int digits_ = 0;                // hex digits of the current size
  FieldSectionScanner trailer_scan_;
  std::string scratch_;
  std::optional<Error> error_;  // a failed decode keeps failing
};

}  // namespace httptrace::http1
