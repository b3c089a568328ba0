#pragma once
// The HTTP/1.x response head parser, sans-I/O, incremental and strict. It consumes bytes the
// transport read and never touches a socket. One instance parses the heads of one exchange —
// any informational (1xx) heads and then the final one — against one header budget.
//
// Strictness (spec/bad-inputs.md, "RFC 9110/9112 rules"): status line "HTTP/1.x SP 3DIGIT
// [SP reason]" with codes 100–599 (a missing reason is fine; HTTP/0.9 and other protocols are
// errors); CRLF line ends, bare LF accepted on the status and field lines, bare CR rejected;
// no whitespace lines before the first field; field lines need a colon; a first field line
// starting with whitespace is an error, later obs-folds are unfolded with one SP; NUL or CR
// in a value is an error; whitespace before the colon is an error for Content-Length,
// Transfer-Encoding, Connection, Trailer and Upgrade and otherwise keeps the raw name (as Go).

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

struct StatusLine {
  int major = 1;
  int minor = 1;
  int code = 0;
  std::string_view reason;  // a view into the bytes passed to feed(); "" when absent
};

class ResponseHeadParser {
 public:
  explicit ResponseHeadParser(const ParserLimits& limits = {}) : limits_(limits) {}

  // Parses the current head from `in`, which must hold every byte of it received so far,
  // starting at its first byte (the caller keeps the head contiguous in its read buffer and
  // calls again with more bytes appended). Returns 0 while the head is incomplete, or the
  // head's length (up to and including its blank line) once complete; bytes after it (body,
  // next head) are left alone. The parser remembers how far it has scanned, so a head fed one
  // byte at a time costs O(n). On completion `header` has been filled (cleared first, keys
  // canonical) and status() describes the head; its reason views `in`.
  //
  // Errors: ErrorCode::protocol (malformed status line or field), headers_too_large (the
  // shared byte or field budget is exhausted — detected before the head completes).
  [[nodiscard]] Result<std::size_t> feed(std::string_view in, Header& header);
  bool done() const noexcept { return done_; }
  const StatusLine& status() const noexcept { return status_; }

  // Prepares for the next head of the same exchange (after a 1xx), keeping the budget used so
  // far. Errors with ErrorCode::protocol when that would exceed max_informational.
  [[nodiscard]] Result<void> next_head();
  // Forget everything (a new exchange on the same connection).
  void reset() noexcept;

  // Bytes and fields of the budget used so far (the trailer parser continues from here).
  std::size_t bytes_used() const noexcept { return bytes_used_; }
  std::size_t fields_used() const noexcept { return fields_used_; }
  const ParserLimits& limits() const noexcept { return limits_; }

 private:
  enum : int { kStatusLine = 0, kFieldLines = 1 };
  [[nodiscard]] Result<std::size_t> advance(std::string_view in, Header& header);
  [[nodiscard]] Result<void> parse_status_line(std::string_view line);
  void clear_head() noexcept;

  ParserLimits limits_;
  StatusLine status_;
  std::size_t scanned_ = 0;     // bytes of the status line already searched for its LF
  int line_end_state_ = 0;      // where the end-of-head scan stands: kStatusLine, kFieldLines
  std::size_t bytes_used_ = 0;  // budget used by completed heads
  std::size_t fields_used_ = 0;
  int informational_ = 0;
  bool done_ = false;
  std::size_t section_start_ = 0;  // offset of the first field line (after the status line)
  FieldSectionScanner section_;
  FieldLines lines_;  // where section_ found the field lines
  std::size_t reason_offset_ = 0;
  std::size_t reason_size_ = 0;
  std::size_t head_length_ = 0;
  std::optional<Error> error_;  // a failed parse keeps failing
  std::string scratch_;         // unfolded obs-fold values
};

// How the body of a final response is delimited, decided from the status line, the request
// method and the header (RFC 9112 §6.3 with the stricter rules of bad-inputs B).
struct BodyPlan {
  enum class Kind : uint8_t { none, content_length, chunked, until_close } kind = Kind::none;
  uint64_t length = 0;  // for content_length
  // Content-Length as metadata (HEAD responses keep it; Response::content_length()).
  std::optional<uint64_t> declared_length;
  // The connection may carry another exchange after this one: false for Connection: close,
  // HTTP/1.0 without keep-alive, until_close framing, Transfer-Encoding together with
  // Content-Length, Transfer-Encoding on HTTP/1.0, or a bodiless status that announced a body
  // (HEAD excepted).
  bool reusable = true;
};

// Errors: ErrorCode::protocol for conflicting or malformed Content-Length values ("bad
// Content-Length"), an unsupported Transfer-Encoding ("unsupported transfer encoding"), or two
// different Location fields are not checked here (the client does that).
[[nodiscard]] Result<BodyPlan> plan_body(const StatusLine& status, const Header& header,
                                         bool request_was_head);

// Parses a Content-Length value strictly: digits only (leading zeros fine), no sign, no
// overflow; a comma list of equal values collapses ("5, 5" → 5).
std::optional<uint64_t> parse_content_length(std::string_view value) noexcept;

}  // namespace httptrace::http1
