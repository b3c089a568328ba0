#pragma once
// `stat --json`: one JSON object per request (docs/cli.md "stat --json", schema_version 1). The
// final hop's values sit at the top level and every hop, the final one included, is in `hops`
// (timeline.md "Hops"). Times are milliseconds with 3 decimals (whole microseconds, so the
// phases add up to `total` exactly); an absent phase or mark is null.

#include <string>
#include <vector>

#include "inspection.hpp"
#include "slo.hpp"

namespace httptrace::cli {

// `violations` is null when no --slo was given.
std::string stat_json(const Inspection& inspection, const std::vector<SloViolation>* violations);

// "2026-12-23T16:00:00Z".
std::string rfc3339(std::chrono::system_clock::time_point t);

}  // namespace httptrace::cli
