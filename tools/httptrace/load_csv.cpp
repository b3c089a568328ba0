#include "load_csv.hpp"

#include <fmt/format.h>

namespace httptrace::cli {
namespace {

void append_ms(std::string& out, int64_t us) {
  if (us == LoadSample::kAbsent) return;
  fmt::format_to(std::back_inserter(out), "{}.{:03}", us / 1000, us % 1000);
}

// RFC 4180: quote a field holding a comma, a quote or a line break; double the quotes.
void append_text(std::string& out, const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) {
    out += text;
    return;
  }
  out += '"';
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace

std::string csv_header() {
  std::string out = "request,scheduled_ms,latency_ms";
  for (std::string_view name : kLoadPhaseNames) {
    out += ',';
    out += name;
    out += "_ms";
  }
  out += ",total_ms,status,bytes,reused,idle_ms,error\n";
  return out;
}

void append_csv_row(std::string& out, const LoadSample& s) {
  fmt::format_to(std::back_inserter(out), "{},", s.index);
  append_ms(out, s.scheduled_us);
  out += ',';
  append_ms(out, s.ok() ? s.latency_us : LoadSample::kAbsent);
  for (const int64_t us : s.phase_us) {
    out += ',';
    append_ms(out, us);
  }
  out += ',';
  append_ms(out, s.total_us);
  out += ',';
  if (s.ok()) fmt::format_to(std::back_inserter(out), "{}", s.status);
  fmt::format_to(std::back_inserter(out), ",{},{},", s.bytes, s.reused ? "true" : "false");
  append_ms(out, s.idle_us);
  out += ',';
  append_text(out, s.error);
  out += '\n';
}

std::unique_ptr<CsvFile> CsvFile::open(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return nullptr;
  std::unique_ptr<CsvFile> csv(new CsvFile(file));
  std::string header = csv_header();
  csv->write(header);
  return csv;
}

CsvFile::~CsvFile() {
  std::fclose(file_);
}

void CsvFile::write(std::string& rows) {
  std::lock_guard lock(mutex_);
  if (std::fwrite(rows.data(), 1, rows.size(), file_) != rows.size()) ok_ = false;
  rows.clear();
}

bool CsvFile::ok() const {
  std::lock_guard lock(mutex_);
  return ok_ && std::fflush(file_) == 0;
}

}  // namespace httptrace::cli
