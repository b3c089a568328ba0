#include "http1/chunked_decoder.hpp"

#include <algorithm>
#include <limits>

#include "message/ascii.hpp"

namespace httptrace::http1 {
namespace {

constexpr bool is_ows(char c) noexcept {
  return c == ' ' || c == '\t';
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 9110 §5.6.4 qdtext (without the DQUOTE and backslash handled by the caller) and the
// second byte of a quoted-pair: HTAB, SP, VCHAR, obs-text.
bool is_quoted_text(char c) noexcept {
  auto u = static_cast<unsigned char>(c);
  return c == '\t' || (u >= 0x20 && u != 0x7f);
}

std::unexpected<Error> bad_chunk(std::string_view why) {
  return fail(ErrorCode::protocol, std::string(why));
}

}  // namespace

ChunkedDecoder::ChunkedDecoder(const ParserLimits& limits, std::size_t header_bytes_used,
                               std::size_t header_fields_used) noexcept
    : limits_(limits),
      header_bytes_used_(header_bytes_used),
      header_fields_used_(header_fields_used) {}

Result<ChunkedDecoder::Step> ChunkedDecoder::feed(std::string_view in) {
  if (error_) return std::unexpected(*error_);
  auto step = advance(in);
  if (!step) error_ = step.error();
  return step;
}

// One step holds at most one run of data: the framing before it (size line), the data, and
// the CRLF after it when complete. It stops before anything that follows data, so data that
// arrived is always delivered before an error in the next framing line (bad-inputs C20).
Result<ChunkedDecoder::Step> ChunkedDecoder::advance(std::string_view in) {
  Step step;
  std::size_t pos = 0;
  for (;;) {
    switch (state_) {
      case State::size_line: {
        auto line = scan_size_line(in.substr(pos));
        if (!line) return std::unexpected(std::move(line.error()));
        if (*line == 0) {
          step.consumed = pos;
          return step;
        }
        pos += *line;
        continue;
      }
      case State::data: {
        if (pos == in.size()) {
          step.consumed = pos;
          return step;
        }
        std::size_t take =
            static_cast<std::size_t>(std::min<uint64_t>(remaining_, in.size() - pos));
        step.data_offset = pos;
        step.data_size = take;
        pos += take;
        remaining_ -= take;
        if (remaining_ > 0) {
          step.consumed = pos;
          return step;
        }
        state_ = State::data_crlf;
        continue;
      }
      case State::data_crlf: {
        std::string_view rest = in.substr(pos);
        bool malformed =
            (!rest.empty() && rest[0] != '\r') || (rest.size() >= 2 && rest[1] != '\n');
        if (malformed || rest.size() < 2) {
          // The data of this step goes out first; the next call reports the error.
          if (!malformed || step.data_size > 0) {
            step.consumed = pos;
            return step;
          }
          return bad_chunk("malformed chunked encoding: chunk data not followed by CRLF");
        }
        pos += 2;
        state_ = State::size_line;
        if (step.data_size > 0) {
          step.consumed = pos;
          return step;
        }
        continue;
      }
      case State::trailer: {
        auto complete = scan_trailer(in.substr(pos));
        if (!complete) return std::unexpected(std::move(complete.error()));
        if (*complete) {
          pos += trailer_scan_.length();
          state_ = State::done;
        }
        step.consumed = pos;
        return step;
      }
      case State::done:
        step.consumed = pos;
        return step;
    }
  }
}

Result<std::size_t> ChunkedDecoder::scan_size_line(std::string_view in) {
  for (; line_scanned_ < in.size(); ++line_scanned_) {
    const char c = in[line_scanned_];
    if (line_state_ == LineState::cr) {
      if (c != '\n') return bad_chunk("malformed chunked encoding: CR without LF in chunk line");
      std::size_t length = line_scanned_ + 1;
      auto finished = finish_size_line(length);
      if (!finished) return std::unexpected(std::move(finished.error()));
      return length;
    }
    // RFC rule 8: a bare LF does not end a chunk line here (Go 1.19 accepts it).
    if (c == '\n') return bad_chunk("malformed chunked encoding: chunk line ends in a bare LF");
    if (c == '\r') {
      switch (line_state_) {
        case LineState::size:
          if (digits_ == 0) return bad_chunk("malformed chunked encoding: empty chunk size");
          line_state_ = LineState::cr;
          continue;
        case LineState::after_size:
        case LineState::name:
        case LineState::after_name:
        case LineState::token_value:
        case LineState::after_value:
          line_state_ = LineState::cr;
          continue;
        case LineState::quoted:
        case LineState::quoted_pair:
          return bad_chunk("malformed chunked encoding: CR inside a quoted chunk extension");
        default:
          return bad_chunk("malformed chunked encoding: invalid chunk extension");
      }
    }
    if (line_scanned_ >= limits_.max_chunk_line) {
      return bad_chunk("malformed chunked encoding: chunk line longer than " +
                       std::to_string(limits_.max_chunk_line) + " bytes");
    }
    const bool token = ascii::is_token_char(c);
    switch (line_state_) {
      case LineState::size: {
        int value = hex_value(c);
        if (value >= 0) {
          // 16 hex digits fill 64 bits: no wraparound (bad-inputs C21).
          if (digits_ == 16) return bad_chunk("http chunk length too large");
          remaining_ = (remaining_ << 4) | static_cast<uint64_t>(value);
          ++digits_;
          continue;
        }
        if (digits_ == 0) {
          return bad_chunk(c == ';' ? "malformed chunked encoding: empty chunk size"
                                    : "invalid byte in chunk length");
        }
        if (c == ';') {
          line_state_ = LineState::before_name;
        } else if (is_ows(c)) {
          line_state_ = LineState::after_size;
        } else {
          return bad_chunk("invalid byte in chunk length");
        }
        continue;
      }
      case LineState::after_size:
        if (c == ';') {
          line_state_ = LineState::before_name;
        } else if (!is_ows(c)) {
          return bad_chunk("invalid byte in chunk length");
        }
        continue;
      case LineState::before_name:
        if (token) {
          line_state_ = LineState::name;
          continue;
        }
        if (is_ows(c)) continue;
        break;
      case LineState::name:
      case LineState::after_name:
        if (token && line_state_ == LineState::name) continue;
        if (is_ows(c)) {
          line_state_ = LineState::after_name;
          continue;
        }
        if (c == '=') {
          line_state_ = LineState::before_value;
          continue;
        }
        if (c == ';') {
          line_state_ = LineState::before_name;
          continue;
        }
        break;
      case LineState::before_value:
        if (c == '"') {
          line_state_ = LineState::quoted;
          continue;
        }
        if (token) {
          line_state_ = LineState::token_value;
          continue;
        }
        if (is_ows(c)) continue;
        break;
      case LineState::token_value:
      case LineState::after_value:
        if (token && line_state_ == LineState::token_value) continue;
        if (is_ows(c)) {
          line_state_ = LineState::after_value;
          continue;
        }
        if (c == ';') {
          line_state_ = LineState::before_name;
          continue;
        }
        break;
      case LineState::quoted:
        if (c == '"') {
          line_state_ = LineState::after_value;
          continue;
        }
        if (c == '\\') {
          line_state_ = LineState::quoted_pair;
          continue;
        }
        if (is_quoted_text(c)) continue;
        break;
      case LineState::quoted_pair:
        if (is_quoted_text(c)) {
          line_state_ = LineState::quoted;
          continue;
        }
        break;
      case LineState::cr:
        break;  // handled above
    }
    return bad_chunk("malformed chunked encoding: invalid chunk extension");
  }
  return 0;
}

Result<void> ChunkedDecoder::finish_size_line(std::size_t line_length) {
  const uint64_t size = remaining_;
  line_state_ = LineState::size;
  line_scanned_ = 0;
  digits_ = 0;
  ++chunks_;
  // Go's rule against extension padding (net/http/internal/chunked.go since 1.21.5): 16 bytes
  // of overhead per chunk plus twice its data are free; the rest accumulates (bad-inputs C24).
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  const uint64_t allowance = size > (kMax - 16) / 2 ? kMax : 16 + 2 * size;
  const uint64_t overhead = static_cast<uint64_t>(extension_bytes_) + line_length;
  extension_bytes_ = overhead > allowance ? static_cast<std::size_t>(overhead - allowance) : 0;
  if (extension_bytes_ > limits_.max_chunk_extension_excess) {
    return bad_chunk("malformed chunked encoding: too much chunk extension data");
  }
  state_ = size == 0 ? State::trailer : State::data;
  return {};
}

Result<bool> ChunkedDecoder::scan_trailer(std::string_view in) {
  // The trailer shares the head's budget (RFC rule 8); the CRLF that ends every chunked body
  // is framing, not trailer, and is always allowed.
  SectionBudget budget;
  std::size_t bytes_left = limits_.max_header_bytes > header_bytes_used_
                               ? limits_.max_header_bytes - header_bytes_used_
                               : 0;
  budget.max_bytes = bytes_left + 2;
  budget.max_fields = limits_.max_header_fields > header_fields_used_
                          ? limits_.max_header_fields - header_fields_used_
                          : 0;
  budget.configured_bytes = limits_.max_header_bytes;
  budget.configured_fields = limits_.max_header_fields;
  budget.what = "server response headers and trailer";
  auto complete = trailer_scan_.scan(in, budget);
  if (!complete) return std::unexpected(std::move(complete.error()));
  if (!*complete) return false;
  trailer_.clear();
  add_section_fields(in.substr(0, trailer_scan_.length()), trailer_, scratch_);
  return true;
}

}  // namespace httptrace::http1
