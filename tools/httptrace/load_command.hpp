#pragma once
// `httptrace load URL`: load generation with a per-phase breakdown. -c connections kept busy by
// a few EventLoop threads (load_loop.hpp; -L redirects or a proxy need the Client, and then run
// on one blocking worker per connection instead); -n requests or -z a duration (or both:
// whichever ends first); -q a global rate (open model, latency from when each request was due).
// Every request is recorded with a Timeline, so the report's phase table — and --csv's rows —
// come from the same hook stamps as `stat`. --otlp exports them as OpenTelemetry spans
// (load_otlp.hpp, docs/otel.md).

#include <cstdint>
#include <cstdio>
#include <string>

#include "request_flags.hpp"

namespace httptrace::cli {

struct LoadFlags {
  RequestFlags request;
  uint64_t requests = 0;  // -n; 0 = unset (200 unless -z is given)
  std::string duration;   // -z, e.g. "10s"; a bare number is seconds
  int concurrency = 50;   // -c
  int threads = 0;        // -t: event-loop threads; 0 = the hardware threads (at most -c)
  double rate = 0;        // -q, requests per second across all workers; 0 = no limit
  std::string timeout;    // --timeout per request (default 20s, or -m); a bare number is seconds
  bool json = false;      // the report as JSON
  std::string csv_file;   // one row per request
  // --otlp: the OTLP/HTTP collector (a base URL or the traces URL); "" = no export.
  std::string otlp;
  // --otlp-sample: the share of requests exported, by trace id (otel.hpp RequestTrace::attach).
  double otlp_sample = 1;
};

// Where the output goes (the demo and tests may redirect it).
struct LoadSettings {
  std::FILE* out = stdout;
  std::FILE* err = stderr;  // also where the progress line goes, when it is a terminal
};

// Returns the exit status: 0 every request got a response, 1 some failed, 2 usage error,
// 130 interrupted (SIGINT; the report still covers what finished).
int run_load(const LoadFlags& flags, const LoadSettings& settings = {});

}  // namespace httptrace::cli
