#pragma once
// A field section (RFC 9112 §5: field lines up to an empty line), shared by the response head
// and the chunked trailer: an incremental scanner that validates each line as it completes
// and enforces the byte and field budget while the section is still incomplete, and a builder
// that turns a validated section into Header fields.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "httptrace/error.hpp"
#include "httptrace/header.hpp"

namespace httptrace::http1 {

// What a section may still use of the exchange's shared budget, and the configured totals
// (for the error message).
struct SectionBudget {
  std::size_t max_bytes = 0;   // the section, blank line included, may be at most this long
  std::size_t max_fields = 0;  // and hold at most this many field lines
  std::size_t configured_bytes = 0;
  std::size_t configured_fields = 0;
  std::string_view what = "server response headers";  // the error message's subject
};

class FieldSectionScanner {
 public:
  // `section` holds the section from its first byte, with more appended on each call; scanning
  // resumes where the last call stopped, so feeding a byte at a time costs O(n). Returns true
  // once the blank line has been seen (length() is then the section's size), false while more
  // input is needed.
  //
  // Rules (bad-inputs A4–A7, RFC rules 1, 3–5): a bare LF ends a line, a bare CR anywhere is
  // an error, NUL anywhere is an error, a line without a colon is an error, the first line may
  // not start with SP/HTAB (no whitespace-only lines before the first field), later ones
  // starting with SP/HTAB are obs-folds, and whitespace before the colon is an error when the
  // name is a framing or connection field.
  [[nodiscard]] Result<bool> scan(std::string_view section, const SectionBudget& budget);

  std::size_t length() const noexcept { return length_; }
  std::size_t fields() const noexcept { return fields_; }
  // Ready for the next section.
  void reset() noexcept;

  // Once scan() returned true: adds the section's fields to `header` as add_section_fields
  // does, from the lines scan() recorded instead of searching the section again. `section` is
  // what scan() saw.
  void add_fields(std::string_view section, Header& header, std::string& scratch) const;

 private:
  [[nodiscard]] Result<void> check_line(std::string_view line, std::size_t start);

  // A field line: its name is [start, colon), its value (untrimmed) [colon + 1, end).
  struct Line {
    uint32_t start, colon, end;
  };

  std::size_t line_start_ = 0;   // offset of the line being scanned
  std::size_t search_from_ = 0;  // where the search for its LF resumes
  std::size_t fields_ = 0;
  std::size_t length_ = 0;
  bool complete_ = false;
  // The first field lines, kept for add_fields. A section with more of them, or with an
  // obs-fold, is searched again instead (add_section_fields): rare, and a fixed array keeps
  // parsing free of allocations (performance.md P7).
  static constexpr std::size_t kRecordedLines = 32;
  std::array<Line, kRecordedLines> lines_;
  std::size_t recorded_ = 0;
  bool folded_ = false;
};

// Adds the fields of a section FieldSectionScanner accepted to `header` (keys canonical when
// they are tokens, raw otherwise; values trimmed of OWS; obs-folds unfolded with one SP).
// `scratch` is reused for unfolded values.
void add_section_fields(std::string_view section, Header& header, std::string& scratch);

// `s` quoted, printable-escaped and cut to its first kQuotedBytes bytes ("..." marks the cut),
// for error messages.
inline constexpr std::size_t kQuotedBytes = 64;
std::string quote_for_error(std::string_view s);

}  // namespace httptrace::http1
