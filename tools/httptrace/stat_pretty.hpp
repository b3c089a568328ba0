#pragma once
// `stat`'s view for people: per hop the request line, the connection (addresses, new or reused
// and how long it idled), TLS and certificate, the status line and headers, then the waterfall;
// the body's fate; and with --repeat a closing table of cold versus warm requests.

#include <string>
#include <vector>

#include "inspection.hpp"
#include "slo.hpp"
#include "terminal.hpp"

namespace httptrace::cli {

// One request's block. `of` is the number of requests in the run (a heading when > 1).
std::string stat_pretty(const Inspection& inspection, int of, const Palette& palette);
// The closing table for several requests.
std::string stat_summary(const std::vector<Inspection>& inspections, const Palette& palette);
// The lines naming each exceeded limit.
std::string slo_report(const Inspection& inspection, const std::vector<SloViolation>& violations,
                       const Palette& palette);

}  // namespace httptrace::cli
