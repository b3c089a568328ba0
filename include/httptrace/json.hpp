#pragma once
// A small JSON writer whose strings are escaped exactly as Go's encoding/json escapes them
// (<, >, & and U+2028/2029 as \u escapes; invalid UTF-8 as U+FFFD), so output built from
// hook events (JSON lines, HAR) can be compared with a Go program's byte for byte. Keys keep
// the order they are added in. Not thread-safe; a plain value.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace httptrace {

// Appends `s` as a JSON string literal (quotes included).
void append_json_string(std::string& out, std::string_view s);

// Builds one JSON object, field by field.
class JsonObject {
 public:
  JsonObject& field(std::string_view key, std::string_view value);
  JsonObject& field(std::string_view key, const char* value) { return field(key, std::string_view(value)); }
  JsonObject& field(std::string_view key, int64_t value);
  JsonObject& field(std::string_view key, uint64_t value);
  JsonObject& field(std::string_view key, int value) { return field(key, static_cast<int64_t>(value)); }
  JsonObject& field(std::string_view key, bool value);
  JsonObject& field(std::string_view key, double value, int decimals);
  JsonObject& null_field(std::string_view key);
  // A string, or null when absent.
  JsonObject& optional_field(std::string_view key, const std::optional<std::string>& value);
  JsonObject& string_array(std::string_view key, const std::vector<std::string>& values);
  // Inserts already-encoded JSON (an object or array).
  JsonObject& raw_field(std::string_view key, std::string_view json);
  // The finished object.
  std::string str() const { return text_ + "}"; }

 private:
  void key(std::string_view k);
  std::string text_ = "{";
};

}  // namespace httptrace
