#pragma once
// The tracestate grammar (W3C Trace Context §3.3.1): up to 32 key=value list members, keys
// unique, empty members allowed and skipped.

#include <optional>
#include <string>
#include <string_view>

namespace httptrace::otel::detail {

// The list with optional whitespace and empty members removed ("a=1,b=2"), or nullopt when
// it breaks the grammar (a bad key or value, a duplicate key, more than 32 members).
std::optional<std::string> normalize_tracestate(std::string_view tracestate);

}  // namespace httptrace::otel::detail
