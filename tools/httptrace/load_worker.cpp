#include "load_worker.hpp"

#include <string>
#include <tuple>

namespace httptrace::cli {
namespace {

using Clock = RateSchedule::Clock;

void add(int64_t& sum, const std::optional<int64_t>& micros) {
  if (!micros) return;
  sum = (sum == LoadSample::kAbsent ? 0 : sum) + *micros;
}

// Sums the hops' phases into `s`; returns when the first hop started.
Clock::time_point measure_hops(const Timeline& timeline, LoadSample& s) {
  s.phase_us.fill(LoadSample::kAbsent);
  Clock::time_point started{};
  const std::size_t hops = timeline.hops();
  for (std::size_t h = 0; h < hops; ++h) {
    const HopMeasure m = timeline.measure(h);
    if (h == 0) started = m.start;
    const PhaseMicros& p = m.phases;
    add(s.phase_us[static_cast<std::size_t>(LoadPhase::pool_wait)], p.pool_wait);
    add(s.phase_us[static_cast<std::size_t>(LoadPhase::dns)], p.dns);
    add(s.phase_us[static_cast<std::size_t>(LoadPhase::connect)], p.connect);
    add(s.phase_us[static_cast<std::size_t>(LoadPhase::tls)], p.tls);
    add(s.phase_us[static_cast<std::size_t>(LoadPhase::send)], p.send);
    add(s.phase_us[static_cast<std::size_t>(LoadPhase::wait)], p.wait);
    add(s.phase_us[static_cast<std::size_t>(LoadPhase::receive)], p.receive);
    s.total_us += p.total;
    if (!m.got_conn) continue;
    ++(m.reused ? s.reused_conns : s.new_conns);
    if (h + 1 == hops) {
      s.reused = m.reused;
      if (m.was_idle) {
        s.idle_us = std::chrono::duration_cast<std::chrono::microseconds>(m.idle_time).count();
      }
    }
  }
  return started;
}

}  // namespace

LoadSample sample_from(const Timeline& timeline, const RateSchedule::Ticket& ticket,
                       Clock::time_point run_start) {
  LoadSample s;
  s.index = ticket.index;
  s.scheduled_us = std::chrono::round<std::chrono::microseconds>(ticket.due - run_start).count();
  const Clock::time_point started = measure_hops(timeline, s);
  int64_t queue = 0;
  if (timeline.hops() > 0) {
    queue = std::max<int64_t>(
        0, std::chrono::round<std::chrono::microseconds>(started - ticket.due).count());
  }
  s.phase_us[static_cast<std::size_t>(LoadPhase::queue)] = queue;
  s.latency_us = queue + s.total_us;
  return s;
}

LoadSample send_measured(Client& client, const Request& request, const RateSchedule::Ticket& ticket,
                         Clock::time_point run_start, LoadExport* otlp) {
  auto [ctx, timeline] =
      Timeline::attach(request.context(), TimelineOptions{.header_fields = false});
  Context traced = ctx;
  std::shared_ptr<otel::RequestTrace> trace;
  // The worker's PropagatingTransport (load_otlp.hpp propagating()) sets traceparent per hop.
  if (otlp != nullptr) std::tie(traced, trace) = otlp->attach(ctx, timeline);
  auto response = client.send(request.with_context(traced));
  int status = 0;
  uint64_t bytes = 0;
  std::string error;
  if (!response) {
    timeline->mark_end();
    error = response.error().what();
  } else {
    auto read = response->body().discard();
    if (read) {
      timeline->mark_end(*read);
      bytes = *read;
      status = response->status_code();
    } else {
      timeline->mark_end();
      error = read.error().what();
    }
  }
  LoadSample s = sample_from(*timeline, ticket, run_start);
  if (trace) otlp->submit(std::move(trace));
  s.status = status;
  s.bytes = bytes;
  s.error = std::move(error);
  return s;
}

void run_load_worker(const LoadRun& run) {
  std::string rows;
  constexpr std::size_t kFlushBytes = 64 * 1024;
  while (auto ticket = run.schedule.next()) {
    LoadSample sample =
        send_measured(run.client, run.request, *ticket, run.schedule.start(), run.otlp);
    if (!sample.ok() && run.interrupted.load(std::memory_order_relaxed)) continue;
    run.stats.record(sample);
    if (run.csv == nullptr) continue;
    append_csv_row(rows, sample);
    if (rows.size() >= kFlushBytes) run.csv->write(rows);
  }
  if (run.csv != nullptr && !rows.empty()) run.csv->write(rows);
}

}  // namespace httptrace::cli
