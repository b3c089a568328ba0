#include "http1/response_parser.hpp"

#include <cstring>

namespace httptrace::http1 {
namespace {

constexpr std::string_view kVersionPrefix = "HTTP/1.";
// A first line that cannot be a status line fails once it ends or once more bytes arrived
// than quote_for_error shows, so the message does not depend on how the bytes were split;
// without a line end that takes kStatusShown + 2 bytes, as the last one may be the CR of a
// CRLF still to come, which the line would not include.
constexpr std::size_t kStatusShown = kQuotedBytes;
constexpr std::size_t kEarlyVerdict = kStatusShown + 2;

constexpr bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

// Whether `s`, the start of a first line, can still become "HTTP/1.x SP".
bool plausible_status_start(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size() && i < kVersionPrefix.size(); ++i) {
    if (s[i] != kVersionPrefix[i]) return false;
  }
  if (s.size() > 7 && !is_digit(s[7])) return false;
  if (s.size() > 8 && s[8] != ' ') return false;
  return true;
}

std::unexpected<Error> malformed_response(std::string_view line) {
  return fail(ErrorCode::protocol, "malformed HTTP response " + quote_for_error(line));
}

std::unexpected<Error> headers_too_large(std::size_t limit) {
  return fail(ErrorCode::headers_too_large,
              "server response headers exceeded " + std::to_string(limit) + " bytes; aborted");
}

}  // namespace

[[gnu::hot]] Result<std::size_t> ResponseHeadParser::feed(std::string_view in, Header& header) {
  if (error_) return std::unexpected(*error_);
  if (done_) return head_length_;
  auto result = advance(in, header);
  if (!result) error_ = result.error();
  return result;
}

[[gnu::hot]] Result<std::size_t> ResponseHeadParser::advance(std::string_view in, Header& header) {
  // One budget for every head of the exchange (bad-inputs D28, RFC rule 10).
  const std::size_t bytes_left =
      limits_.max_header_bytes > bytes_used_ ? limits_.max_header_bytes - bytes_used_ : 0;
  const std::size_t fields_left =
      limits_.max_header_fields > fields_used_ ? limits_.max_header_fields - fields_used_ : 0;

  if (line_end_state_ == kStatusLine) {
    // Each error counts from the byte that makes it certain — the budget at bytes_left + 1
    // bytes; a first line that cannot be a status line at its end, or at kEarlyVerdict bytes
    // for HTTP/0.9 bodies and other protocols (bad-inputs A3) — and the first certain wins
    // (the budget on a tie), so the outcome does not depend on how the bytes were split
    // (found by fuzz_response_head).
    const std::size_t too_large_at = bytes_left + 1;
    std::size_t lf = in.find('\n', scanned_);
    if (lf == std::string_view::npos) {
      scanned_ = in.size();
      const bool too_large = in.size() >= too_large_at;
      const bool implausible = in.size() >= kEarlyVerdict && !plausible_status_start(in);
      if (implausible && (!too_large || kEarlyVerdict < too_large_at)) {
        return malformed_response(in.substr(0, kStatusShown + 1));
      }
      if (too_large) return headers_too_large(limits_.max_header_bytes);
      return 0;
    }
    std::size_t end = lf;
    if (end > 0 && in[end - 1] == '\r') --end;
    auto parsed = parse_status_line(in.substr(0, end));
    if (lf + 1 >= too_large_at) {
      const std::size_t line_fails_at =
          plausible_status_start(in.substr(0, lf)) ? lf + 1 : std::min(lf + 1, kEarlyVerdict);
      const bool line_failed_first = !parsed && line_fails_at < too_large_at;
      if (!line_failed_first) return headers_too_large(limits_.max_header_bytes);
    }
    if (!parsed) return std::unexpected(std::move(parsed.error()));
    section_start_ = lf + 1;
    line_end_state_ = kFieldLines;
  }

  SectionBudget budget;
  budget.max_bytes = bytes_left - section_start_;
  budget.max_fields = fields_left;
  budget.configured_bytes = limits_.max_header_bytes;
  budget.configured_fields = limits_.max_header_fields;
  auto complete = section_.scan(in.substr(section_start_), budget, &lines_);
  if (!complete) return std::unexpected(std::move(complete.error()));
  if (!*complete) return 0;

  head_length_ = section_start_ + section_.length();
  header.clear();
  FieldSectionScanner::add_fields(in.substr(section_start_, section_.length()), lines_, header,
                                  scratch_);
  status_.reason = in.substr(reason_offset_, reason_size_);
  bytes_used_ += head_length_;
  fields_used_ += section_.fields();
  done_ = true;
  return head_length_;
}

// RFC 9112 §4 and bad-inputs A3: "HTTP/1.x SP 3DIGIT [SP reason]", code 100–599. Spaces
// between the version and the code are skipped as Go's ReadResponse does.
[[gnu::hot]] Result<void> ResponseHeadParser::parse_status_line(std::string_view line) {
  if (!line.starts_with(kVersionPrefix) || line.size() < 9 || !is_digit(line[7]) ||
      line[8] != ' ') {
    return malformed_response(line);
  }
  if (line.find('\r') != std::string_view::npos ||
      std::memchr(line.data(), '\0', line.size()) != nullptr) {
    return malformed_response(line);
  }
  std::size_t pos = 9;
  while (pos < line.size() && line[pos] == ' ') ++pos;
  std::string_view rest = line.substr(pos);
  std::string_view code = rest.substr(0, rest.find(' '));
  if (code.size() != 3 || !is_digit(code[0]) || !is_digit(code[1]) || !is_digit(code[2])) {
    return fail(ErrorCode::protocol, "malformed HTTP status code " + quote_for_error(code));
  }
  int value = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  // RFC 9110 §15: Go 1.19 accepts 000–999; we do not (trace-semantics "Our decisions").
  if (value < 100 || value > 599) {
    return fail(ErrorCode::protocol, "malformed HTTP status code " + quote_for_error(code));
  }
  status_.major = 1;
  status_.minor = line[7] - '0';
  status_.code = value;
  if (rest.size() > 3) {
    reason_offset_ = pos + 4;
    reason_size_ = rest.size() - 4;
  } else {
    reason_offset_ = 0;
    reason_size_ = 0;
  }
  return {};
}

void ResponseHeadParser::clear_head() noexcept {
  status_ = StatusLine{};
  scanned_ = 0;
  line_end_state_ = kStatusLine;
  done_ = false;
  section_start_ = 0;
  section_.reset();
  lines_.clear();
  reason_offset_ = 0;
  reason_size_ = 0;
  head_length_ = 0;
  error_.reset();
}

Result<void> ResponseHeadParser::next_head() {
  ++informational_;
  // RFC rule 10: Go allows 5; the next one fails the exchange.
  if (informational_ > limits_.max_informational) {
    return fail(ErrorCode::protocol, "too many 1xx informational responses");
  }
  clear_head();
  return {};
}

void ResponseHeadParser::reset() noexcept {
  clear_head();
  bytes_used_ = 0;
  fields_used_ = 0;
  informational_ = 0;
}

}  // namespace httptrace::http1
