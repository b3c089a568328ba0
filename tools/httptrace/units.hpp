#pragma once
// Reading durations from the command line and writing times, sizes and counts for people.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace httptrace::cli {

// "250us", "500ms", "1.5s", "2m", "1h"; a bare number is in `bare_unit`. nullopt for anything
// else, for a negative value and for one beyond a day.
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text,
                                                       std::chrono::nanoseconds bare_unit);

// Milliseconds for the pretty views: rounded (never truncated) to 3 significant digits, whole
// milliseconds from 100 ms up — "0.412 ms", "7.92 ms", "38.5 ms", "612 ms".
std::string format_ms(double ms);
// "12 B", "1.5 KiB", "3.62 MiB".
std::string format_bytes(uint64_t bytes);
// "1,234,567".
std::string format_count(uint64_t n);

}  // namespace httptrace::cli
