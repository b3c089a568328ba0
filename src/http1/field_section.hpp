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

// Where a section's field lines are, as FieldSectionScanner::scan found them, so that the
// header can be built without searching the section again. Only the first kMax lines are kept
// — a fixed array: parsing allocates nothing (performance.md P7) — and a section with more,
// or with an obs-fold, is searched again instead (rare). Owned by whoever owns the scan: the
// response head parser has one, the chunked trailer none (it would add to every idle
// connection's size, P8).
class FieldLines {
 public:
  static constexpr std::size_t kMax = 32;
  // Ready for the next section.
  void clear() noexcept {
    count_ = 0;
    usable_ = true;
  }

 private:
  friend class FieldSectionScanner;
  // A field line: its name is [start, colon), its value (untrimmed) [colon + 1, end).
  struct Line {
    uint32_t start, colon, end;
  };
  std::array<Line, kMax> lines_;
  std::size_t count_ = 0;
  bool usable_ = true;  // false after an obs-fold or past kMax lines
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
  //
  // With `lines`, each accepted field line is also noted there (the same FieldLines on every
  // call for one section).
  [[nodiscard]] Result<bool> scan(std::string_view section, const SectionBudget& budget,
                                  FieldLines* lines = nullptr);

  std::size_t length() const noexcept { return length_; }
  std::size_t fields() const noexcept { return fields_; }
  void reset() noexcept { *this = FieldSectionScanner(); }

  // Once scan() returned true: adds the section's fields to `header` as add_section_fields
  // does, from `lines` (which that scan filled) when they are usable. `section` is what scan()
  // saw.
  static void add_fields(std::string_view section, const FieldLines& lines, Header& header,
                         std::string& scratch);

 private:
  [[nodiscard]] Result<void> check_line(std::string_view section, std::string_view line,
                                        std::size_t start, FieldLines* lines);
  // Whether the line ending at `end` holds a NUL: lines are checked in order, and one holding a
  // NUL fails, so the first NUL before `end` is in this line.
  bool has_nul(std::string_view section, std::size_t end);

  std::size_t line_start_ = 0;   // offset of the line being scanned
  std::size_t search_from_ = 0;  // where the search for its LF resumes
  std::size_t fields_ = 0;
  std::size_t length_ = 0;
  // The section is searched for NUL a block ahead of the lines, not once per line: the first
  // NUL found, and how far the search went.
  std::size_t first_nul_ = std::string_view::npos;
  std::size_t nul_searched_ = 0;
  bool complete_ = false;
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
