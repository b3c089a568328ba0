#pragma once
// `stat --slo total=500ms,ttfb=200ms,...`: limits a request must stay under (exit status 4 when
// one is exceeded — reorx/httpstat's convention).
//
// Keys: `total` (the whole request, redirects included), `ttfb` (the request's start to the
// final response's first byte, redirects included), and the final hop's phases `pool_wait`,
// `dns`, `connect`, `tls`, `send`, `wait`, `receive`. A phase that did not happen (no DNS for an
// IP literal, no dial on a reused connection) meets any limit. Values take a unit (us, ms, s);
// a bare number is milliseconds.

#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include <httptrace/timeline.hpp>

namespace httptrace::cli {

struct SloLimit {
  std::string key;
  double limit_ms = 0;
};

struct SloViolation {
  std::string key;
  double value_ms = 0;
  double limit_ms = 0;
};

// The limits in `spec`, or a usage error naming the bad part.
std::expected<std::vector<SloLimit>, std::string> parse_slo(std::string_view spec);

// The limits a request with these values exceeds (strictly), in the order given.
// `redirect_ms` is Timeline::redirect_ms(); `phases` and `marks` are the final hop's.
std::vector<SloViolation> check_slo(const std::vector<SloLimit>& limits, const Phases& phases,
                                    const Marks& marks, double redirect_ms);

}  // namespace httptrace::cli
