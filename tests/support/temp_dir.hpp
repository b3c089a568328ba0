#pragma once
// A fresh private directory under the system temp dir, removed with everything in it on
// destruction. Fixtures keep their generated files (configs, logs, keys) here.

#include <filesystem>
#include <string>
#include <string_view>

namespace httptrace::testing {

class TempDir {
 public:
  // Creates "<tmp>/httptrace-<label>-XXXXXX" (mode 0700). Throws std::runtime_error.
  explicit TempDir(std::string_view label);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Writes `content` to `path` (replacing it); throws std::runtime_error on failure.
void write_file(const std::filesystem::path& path, std::string_view content);
// The file's content, or "" if it cannot be read (logs that were never created).
std::string read_file(const std::filesystem::path& path);

}  // namespace httptrace::testing
