#include "load_loop.hpp"

#include <algorithm>
#include <array>
#include <optional>

#include "load_worker.hpp"

namespace httptrace::cli {
namespace {

using Clock = RateSchedule::Clock;
using namespace std::chrono_literals;

// How long run_once() may wait with nothing due: the loop wakes for every completion anyway;
// this only bounds how late it notices a stopped schedule with no request in flight.
constexpr auto kIdleWait = 100ms;
constexpr std::size_t kFlushBytes = 64 * 1024;
// The headers are the same on every request of a run, and the report does not show them.
constexpr TimelineOptions kLoadTimeline{.header_fields = false};

TransportOptions loop_options(TransportOptions options, int connections) {
  // Every slot keeps its connection between requests: the pool must hold them all idle.
  options.max_conns_per_host = connections;
  options.max_idle_conns_per_host = std::max(options.max_idle_conns_per_host, connections);
  if (options.max_idle_conns > 0)
    options.max_idle_conns = std::max(options.max_idle_conns, connections);
  return options;
}

}  // namespace

struct LoadLoop::Slot {
  RateSchedule::Ticket ticket;
  // Without --otlp, one Timeline per slot records request after request (Timeline::reset), and
  // `request` carries its context: attaching a recorder per request cost more than recording.
  std::shared_ptr<Timeline> timeline;
  std::optional<Request> request;
  std::shared_ptr<otel::RequestTrace> trace;  // --otlp
  // --otlp: copies of the run's request, used in turn, whose traceparent is rewritten in place.
  // Writing it into a copy shared with anything (the run's request, the previous request's
  // Response) would copy the whole request (Request::header() is copy-on-write); the one used
  // two requests ago is no longer referenced, so this costs a copy only on first use.
  std::array<std::optional<Request>, 2> traced;
  std::size_t turn = 0;
  bool pending = false;
};

LoadLoop::LoadLoop(const LoopLoadRun& run, int connections)
    : run_(run), loop_(loop_options(run.options, connections)) {
  slots_.reserve(static_cast<std::size_t>(connections));
  for (int i = 0; i < connections; ++i) slots_.push_back(std::make_unique<Slot>());
}

LoadLoop::~LoadLoop() = default;

void LoadLoop::run(RateSchedule& schedule) {
  schedule_ = &schedule;
  active_ = static_cast<int>(slots_.size());
  for (auto& slot : slots_) next(*slot);
  while (active_ > 0) {
    const std::chrono::nanoseconds wait = release_due();
    if (active_ == 0) break;
    loop_.run_once(wait);
    record_samples();
  }
  loop_.run();  // nothing is in flight by now; a no-op kept for safety
  record_samples();
  if (run_.csv != nullptr && !rows_.empty()) run_.csv->write(rows_);
}

void LoadLoop::next(Slot& slot) {
  std::optional<RateSchedule::Ticket> ticket = schedule_->take();
  if (!ticket) {
    --active_;
    return;
  }
  slot.ticket = *ticket;
  if (ticket->due > Clock::now()) {
    slot.pending = true;
    ++pending_;
    return;
  }
  send(slot);
}

void LoadLoop::send(Slot& slot) {
  if (run_.otlp == nullptr) {
    if (slot.request) {
      slot.timeline->reset();
    } else {
      auto [ctx, timeline] = Timeline::attach(run_.request.context(), kLoadTimeline);
      slot.timeline = std::move(timeline);
      slot.request = run_.request.with_context(std::move(ctx));
    }
    submit(slot, *slot.request);
    return;
  }
  // --otlp: the exporter keeps each request's Timeline, so each request gets its own.
  auto [ctx, timeline] = Timeline::attach(run_.request.context(), kLoadTimeline);
  slot.timeline = timeline;
  auto [traced_ctx, trace] = run_.otlp->attach(ctx, std::move(timeline));
  std::optional<Request>& copy = slot.traced[slot.turn++ % slot.traced.size()];
  if (!copy) copy = run_.request;
  otel::inject(trace->hop_span_context(0), copy->header());
  slot.trace = std::move(trace);
  submit(slot, copy->with_context(std::move(traced_ctx)));
}

void LoadLoop::submit(Slot& slot, Request request) {
  Slot* target = &slot;
  loop_.submit(
      std::move(request), [this, target](EventLoop::Completion& done) { finished(*target, done); },
      SubmitOptions{false, run_.timeout});
}

void LoadLoop::finished(Slot& slot, EventLoop::Completion& completion) {
  Timeline& timeline = *slot.timeline;
  if (completion.response) {
    timeline.mark_end(completion.body_bytes);
  } else {
    timeline.mark_end();
  }
  LoadSample sample = sample_from(timeline, slot.ticket, schedule_->start());
  if (completion.response) {
    sample.status = completion.response->status_code();
    sample.bytes = completion.body_bytes;
  } else {
    sample.error = completion.response.error().what();
  }
  if (slot.trace) run_.otlp->submit(std::move(slot.trace));
  if (sample.ok() || !run_.interrupted.load(std::memory_order_relaxed)) {
    if (run_.csv != nullptr) {
      append_csv_row(rows_, sample);
      if (rows_.size() >= kFlushBytes) run_.csv->write(rows_);
    }
    samples_.push_back(std::move(sample));
  }
  next(slot);
}

void LoadLoop::record_samples() {
  for (const LoadSample& sample : samples_) run_.stats.record(sample);
  samples_.clear();
}

std::chrono::nanoseconds LoadLoop::release_due() {
  if (pending_ == 0) return kIdleWait;
  const Clock::time_point now = Clock::now();
  std::chrono::nanoseconds wait = kIdleWait;
  for (auto& slot : slots_) {
    if (!slot->pending) continue;
    if (schedule_->stopped()) {
      // Interrupted: a ticket not yet due is never sent.
      slot->pending = false;
      --pending_;
      --active_;
      continue;
    }
    if (slot->ticket.due <= now) {
      slot->pending = false;
      --pending_;
      send(*slot);
      continue;
    }
    wait = std::min(wait, std::chrono::nanoseconds(slot->ticket.due - now));
  }
  return wait;
}

}  // namespace httptrace::cli
