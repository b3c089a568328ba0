#pragma once
// `httptrace stat URL`: the single-request inspector (httpstat and more). Sends the request
// (--repeat N times on one client, so later ones show the warm path), records each with a
// Timeline, and prints the waterfall (or --json), writes --har and -o, checks --slo, and with
// --otlp exports each request as OpenTelemetry spans (traceparent on the wire, the trace joining
// $TRACEPARENT when set).

#include <cstdio>
#include <string>

#include "request_flags.hpp"

namespace httptrace::cli {

struct StatFlags {
  RequestFlags request;
  int repeat = 1;
  bool json = false;        // one JSON object per request instead of the waterfall
  std::string har_file;     // HAR 1.2 of every hop of every request; "-" = stdout
  std::string output_file;  // -o: the body (each request overwrites it)
  std::string slo;          // KEY=LIMIT[,...]
  std::string otlp;         // OTLP/HTTP collector: a base URL (+ /v1/traces) or the traces URL
};

// Where the output goes (the demo and tests may redirect it).
struct StatSettings {
  std::FILE* out = stdout;
  std::FILE* err = stderr;
};

// Returns the exit status: 0 success, 1 a request failed (or --otlp could not deliver the
// spans), 2 usage error, 4 an SLO was exceeded.
int run_stat(const StatFlags& flags, const StatSettings& settings = {});

}  // namespace httptrace::cli
