#include "http1/field_section.hpp"

#include <algorithm>

#include <cstring>

#include "message/ascii.hpp"
#include "message/header_builder.hpp"

namespace httptrace::http1 {
namespace {

using ascii::is_ows;
using ascii::trim_ows;

// RFC rule 3: a name with whitespace before the colon is kept raw (as Go), except for the
// fields that decide framing and connection handling, where a lenient peer could read it
// differently (bad-inputs A7, "response queue poisoning").
bool is_framing_field(std::string_view name) noexcept {
  return ascii::iequals(name, "Content-Length") || ascii::iequals(name, "Transfer-Encoding") ||
         ascii::iequals(name, "Connection") || ascii::iequals(name, "Trailer") ||
         ascii::iequals(name, "Upgrade");
}

std::string decimal(std::size_t n) {
  return std::to_string(n);
}

// Keys and values already in `header` plus every byte of `section`: an upper bound of what
// `header` holds once the section's fields are added.
std::size_t header_bytes_upper_bound(const Header& header, std::string_view section) {
  std::size_t used = 0;
  for (std::size_t i = 0; i < header.size(); ++i) {
    Header::Field field = header.field(i);
    used += field.key.size() + field.value.size();
  }
  return used + section.size();
}

}  // namespace

std::string quote_for_error(std::string_view s) {
  std::string out = "\"";
  out += ascii::printable(s.substr(0, kQuotedBytes));
  if (s.size() > kQuotedBytes) out += "...";
  out += '"';
  return out;
}

[[gnu::hot]] Result<bool> FieldSectionScanner::scan(std::string_view section, const SectionBudget& budget,
                                                    FieldLines* lines) {
  if (complete_) return true;
  for (;;) {
    std::size_t lf = section.find('\n', search_from_);
    if (lf == std::string_view::npos) {
      search_from_ = section.size();
      // Everything buffered belongs to the unfinished section: an endless section fails at the
      // cap instead of growing the buffer (bad-inputs A9).
      if (section.size() > budget.max_bytes) break;
      return false;
    }
    std::size_t next = lf + 1;
    if (next > budget.max_bytes) break;
    std::size_t end = lf;
    if (end > line_start_ && section[end - 1] == '\r') --end;
    const std::size_t start = line_start_;
    std::string_view line = section.substr(start, end - start);
    line_start_ = search_from_ = next;
    if (line.empty()) {
      complete_ = true;
      length_ = next;
      return true;
    }
    auto checked = check_line(section, line, start, lines);
    if (!checked) return std::unexpected(std::move(checked.error()));
    if (fields_ > budget.max_fields) {
      return fail(ErrorCode::headers_too_large, std::string(budget.what) + " exceeded " +
                                                    decimal(budget.configured_fields) +
                                                    " fields; aborted");
    }
  }
  return fail(ErrorCode::headers_too_large, std::string(budget.what) + " exceeded " +
                                                decimal(budget.configured_bytes) +
                                                " bytes; aborted");
}

bool FieldSectionScanner::has_nul(std::string_view section, std::size_t end) {
  // A block rather than the rest of the section, which may hold much of the body.
  constexpr std::size_t kBlock = 512;
  while (first_nul_ == std::string_view::npos && nul_searched_ < end) {
    const std::size_t to = std::min(section.size(), std::max(end, nul_searched_ + kBlock));
    if (const void* nul = std::memchr(section.data() + nul_searched_, '\0', to - nul_searched_)) {
      first_nul_ = static_cast<std::size_t>(static_cast<const char*>(nul) - section.data());
    }
    nul_searched_ = to;
  }
  // Lines are checked in order and a NUL fails its line, so no NUL lies before this one.
  return first_nul_ < end;
}

[[gnu::hot]] Result<void> FieldSectionScanner::check_line(std::string_view section, std::string_view line,
                                                          std::size_t start, FieldLines* lines) {
  // RFC rules 1 and 4: CR outside a line ending and NUL are rejected, not replaced (Go 1.19
  // accepts both; trace-semantics "Our decisions").
  if (line.find('\r') != std::string_view::npos) {
    return fail(ErrorCode::protocol, "malformed MIME header: bare CR in " + quote_for_error(line));
  }
  if (has_nul(section, start + line.size())) {
    return fail(ErrorCode::protocol, "malformed MIME header: NUL in " + quote_for_error(line));
  }
  if (is_ows(line.front())) {
    if (fields_ == 0) {
      return fail(ErrorCode::protocol,
                  "malformed MIME header initial line: " + quote_for_error(line));
    }
    if (lines != nullptr) lines->usable_ = false;
    return {};  // obs-fold, unfolded by add_section_fields
  }
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    return fail(ErrorCode::protocol,
                "malformed MIME header: missing colon: " + quote_for_error(line));
  }
  std::string_view name = line.substr(0, colon);
  std::string_view trimmed = trim_ows(name);
  if (trimmed.size() != name.size() && is_framing_field(trimmed)) {
    return fail(ErrorCode::protocol,
                "malformed MIME header: whitespace before the colon in " + quote_for_error(line));
  }
  ++fields_;
  if (lines != nullptr && lines->usable_) {
    if (lines->count_ == FieldLines::kMax) {
      lines->usable_ = false;
    } else {
      // Offsets fit: a section is at most the header budget, far below 4 GiB.
      lines->lines_[lines->count_++] =
          FieldLines::Line{static_cast<uint32_t>(start), static_cast<uint32_t>(start + colon),
                           static_cast<uint32_t>(start + line.size())};
    }
  }
  return {};
}

[[gnu::hot]] void FieldSectionScanner::add_fields(std::string_view section, const FieldLines& lines,
                                                  Header& header, std::string& scratch) {
  if (!lines.usable_) {
    add_section_fields(section, header, scratch);
    return;
  }
  // One copy of the section; each field is indexed where it lies in it.
  const std::size_t base = detail::HeaderBuilder::append_text(header, section, lines.count_);
  for (std::size_t i = 0; i < lines.count_; ++i) {
    const FieldLines::Line& line = lines.lines_[i];
    // Go skips a field with an empty name rather than failing the response.
    if (line.colon == line.start) continue;
    const std::string_view value = trim_ows(section.substr(line.colon + 1, line.end - line.colon - 1));
    detail::HeaderBuilder::add_from_text(header, base + line.start, line.colon - line.start,
                                         base + static_cast<std::size_t>(value.data() - section.data()), value.size());
  }
}

void add_section_fields(std::string_view section, Header& header, std::string& scratch) {
  // One allocation for the bytes and one for the index, not one per growth step: the field
  // count is at most the line count, and the bytes at most the section's.
  header.reserve(header_bytes_upper_bound(header, section),
                 header.size() + static_cast<std::size_t>(std::count(section.begin(), section.end(), '\n')));
  std::string_view name;
  std::string_view value;
  bool pending = false;
  bool folded = false;
  auto flush = [&] {
    // Go skips a field with an empty name rather than failing the response.
    if (!pending || name.empty()) return;
    header.add(name, folded ? std::string_view(scratch) : value);
  };
  std::size_t pos = 0;
  while (pos < section.size()) {
    std::size_t lf = section.find('\n', pos);
    if (lf == std::string_view::npos) break;
    std::size_t end = lf;
    if (end > pos && section[end - 1] == '\r') --end;
    std::string_view line = section.substr(pos, end - pos);
    pos = lf + 1;
    if (line.empty()) break;
    if (is_ows(line.front())) {
      // RFC 9112 §5.2: each fold becomes one SP; pieces are trimmed as Go's
      // readContinuedLineSlice does.
      if (!folded) scratch.assign(value);
      folded = true;
      std::string_view piece = trim_ows(line);
      if (piece.empty()) continue;
      if (!scratch.empty()) scratch.push_back(' ');
      scratch.append(piece);
      continue;
    }
    flush();
    std::size_t colon = line.find(':');
    name = line.substr(0, colon);
    value = trim_ows(line.substr(colon + 1));
    pending = true;
    folded = false;
  }
  flush();
}

}  // namespace httptrace::http1
