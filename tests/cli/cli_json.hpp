#pragma once
// Helpers for the CLI suites: run the httptrace binary, read its JSON with nlohmann-json, and
// the arithmetic timeline.md promises (phases add up to the total; marks in order).

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "cli/cli_runner.hpp"

namespace httptrace::testing {

// `httptrace <args...>`.
inline CommandResult run_cli(const std::vector<std::string>& args) {
  std::vector<std::string> argv{cli_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv);
}

// One JSON value per non-empty line; a line that does not parse becomes a discarded value.
inline std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start)
      out.push_back(nlohmann::json::parse(text.substr(start, end - start), nullptr, false));
    start = end + 1;
  }
  return out;
}

// pool_wait + dns + connect + tls + send + wait + receive of a `timings_ms` object (nulls as 0).
inline double sum_of_phases(const nlohmann::json& timings) {
  double sum = 0;
  for (const char* key : {"pool_wait", "dns", "connect", "tls", "send", "wait", "receive"}) {
    if (!timings.at(key).is_null()) sum += timings.at(key).get<double>();
  }
  return sum;
}

// How many lines `text` has.
inline std::size_t line_count(const std::string& text) {
  std::size_t n = 0;
  for (const char c : text) n += c == '\n' ? 1 : 0;
  return n;
}

}  // namespace httptrace::testing
