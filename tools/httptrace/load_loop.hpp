#pragma once
// `load` on the library's EventLoop: one thread per LoadLoop, each keeping its share of the -c
// connections busy from one epoll loop — wrk's design, where the blocking workers (one thread
// per connection) paid a sleep and a wake-up per request. Each request is recorded by its
// slot's Timeline (attached once, reset between requests; one per request with --otlp),
// measured into a LoadSample exactly as the blocking worker measures it, and added to the shared
// stats (after each loop turn) and the CSV.
//
// Closed model: a slot sends its next request as soon as the last one completed. Open model
// (-q): a slot takes the next ticket at once and, when it is due later, the loop's run_once()
// waits until then — requests go out at their due times, whichever loop sends them.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <httptrace/http.hpp>

#include "load_csv.hpp"
#include "load_otlp.hpp"
#include "load_stats.hpp"
#include "rate_schedule.hpp"

namespace httptrace::cli {

struct LoopLoadRun {
  const TransportOptions& options;  // each loop has its own pool, sized for its slots
  const Request& request;           // carries the run's cancellable context
  LoadStats& stats;
  CsvFile* csv = nullptr;  // null without --csv
  // Set when the run was interrupted: requests cut short by it are not counted.
  const std::atomic<bool>& interrupted;
  std::chrono::nanoseconds timeout{0};  // per request, body included; 0 = none
  LoadExport* otlp = nullptr;           // --otlp: every request traced, the sampled exported
};

class LoadLoop {
 public:
  // A loop with `connections` slots (requests in flight at most, one connection each). Builds
  // the EventLoop (its resolver, its TLS context on first use) but sends nothing.
  LoadLoop(const LoopLoadRun& run, int connections);
  ~LoadLoop();
  LoadLoop(const LoadLoop&) = delete;
  LoadLoop& operator=(const LoadLoop&) = delete;

  // Sends until `schedule` says the run is over and every request has completed. On the
  // calling thread, which becomes the loop thread.
  void run(RateSchedule& schedule);

 private:
  struct Slot;
  void next(Slot& slot);
  void send(Slot& slot);
  void submit(Slot& slot, Request request);
  void finished(Slot& slot, EventLoop::Completion& completion);
  // Sends the pending requests that are due; returns how long until the next one is.
  std::chrono::nanoseconds release_due();
  // Adds the turn's samples to the shared stats. A turn's worth at a time: the stats' counters
  // are shared with the other loops, and writing them request by request from two threads
  // bounced their cache lines between the cores (about 1 µs per request measured at -c 64).
  void record_samples();

  const LoopLoadRun& run_;
  RateSchedule* schedule_ = nullptr;  // during run()
  EventLoop loop_;
  std::vector<std::unique_ptr<Slot>> slots_;
  int active_ = 0;                   // slots the schedule has not run out for
  int pending_ = 0;                  // slots holding a ticket due later
  std::string rows_;                 // CSV rows not yet written
  std::vector<LoadSample> samples_;  // completed this turn, not yet in the stats
};

}  // namespace httptrace::cli
