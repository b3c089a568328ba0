#pragma once
// A blocking `load` worker: one thread sending requests through a Client as the schedule hands
// them out — what `load` runs when it needs a Client feature the EventLoop lacks (-L redirects,
// a proxy); otherwise load_loop.hpp drives the run. Each request is recorded with its own
// Timeline (Timeline::attach), measured into a LoadSample and added to the shared stats (and the
// CSV).

#include <atomic>

#include <httptrace/http.hpp>

#include "load_csv.hpp"
#include "load_otlp.hpp"
#include "load_sample.hpp"
#include "load_stats.hpp"
#include "rate_schedule.hpp"

namespace httptrace::cli {

struct LoadRun {
  Client& client;
  const Request& request;  // carries the run's cancellable context
  RateSchedule& schedule;
  LoadStats& stats;
  CsvFile* csv = nullptr;  // null without --csv
  // Set when the run was interrupted: requests cut short by it are not counted.
  const std::atomic<bool>& interrupted;
  LoadExport* otlp = nullptr;  // --otlp: every request traced, the sampled exported
};

// Sends requests until the schedule says the run is over. Any number of threads at once.
void run_load_worker(const LoadRun& run);

// The measurement of a finished request from its Timeline (mark_end already called): phases
// summed over its hops, and queue and latency counted from when its ticket was due. The caller
// fills in status, bytes and error.
LoadSample sample_from(const Timeline& timeline, const RateSchedule::Ticket& ticket,
                       RateSchedule::Clock::time_point run_start);

// Sends one request and measures it (also used by tests).
// With `otlp`, the request is traced and, once it ended, submitted for export (the Client's
// transport is to set traceparent: load_otlp.hpp propagating()).
LoadSample send_measured(Client& client, const Request& request, const RateSchedule::Ticket& ticket,
                         RateSchedule::Clock::time_point run_start, LoadExport* otlp = nullptr);

}  // namespace httptrace::cli
