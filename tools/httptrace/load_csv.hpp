#pragma once
// `load --csv FILE`: one row per request, every phase (docs/cli.md "load --csv"). Workers format
// rows into their own buffers and hand them over in blocks, so the file's rows are in roughly
// the order requests finished; the `request` column gives the schedule order.

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include "load_sample.hpp"

namespace httptrace::cli {

// The header row (with its newline).
std::string csv_header();
// Appends the sample's row (with its newline).
void append_csv_row(std::string& out, const LoadSample& sample);

class CsvFile {
 public:
  // Opens (truncates) `path` and writes the header; nullptr when it cannot be written.
  static std::unique_ptr<CsvFile> open(const std::string& path);
  ~CsvFile();
  CsvFile(const CsvFile&) = delete;
  CsvFile& operator=(const CsvFile&) = delete;

  // Any thread; `rows` is emptied.
  void write(std::string& rows);
  // False when a write failed (a full disk), checked once at the end.
  bool ok() const;

 private:
  explicit CsvFile(std::FILE* file) : file_(file) {}
  mutable std::mutex mutex_;
  std::FILE* file_;
  bool ok_ = true;
};

}  // namespace httptrace::cli
