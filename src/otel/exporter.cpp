// The batching exporter: a bounded ring of traced requests filled by submit() on the request
// path, drained by one background thread that builds the spans, encodes them and POSTs them.

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "httptrace/otel.hpp"
#include "httptrace/url.hpp"
#include "otel/doorbell.hpp"
#include "otel/otlp_json.hpp"
#include "otel/otlp_sender.hpp"
#include "otel/trace_ring.hpp"

namespace httptrace::otel {
namespace {

using TracePtr = std::shared_ptr<const RequestTrace>;

void validate(const ExporterOptions& o) {
  auto url = Url::parse(o.traces_url);
  if (!url || (url->scheme() != "http" && url->scheme() != "https") || url->host().empty()) {
    throw std::invalid_argument("ExporterOptions::traces_url: \"" + o.traces_url +
                                "\" is not an absolute http(s) URL");
  }
  if (o.max_queue_size == 0) throw std::invalid_argument("ExporterOptions::max_queue_size is 0");
  if (o.max_batch_size == 0) throw std::invalid_argument("ExporterOptions::max_batch_size is 0");
  if (o.export_timeout <= std::chrono::nanoseconds::zero()) {
    throw std::invalid_argument("ExporterOptions::export_timeout must be > 0");
  }
  if (!(o.max_cpu_share > 0.0 && o.max_cpu_share <= 1.0)) {
    throw std::invalid_argument("ExporterOptions::max_cpu_share must be in (0, 1]");
  }
  if (o.max_attempts < 1) throw std::invalid_argument("ExporterOptions::max_attempts must be >= 1");
  if (o.initial_backoff < std::chrono::nanoseconds::zero() || o.max_backoff < o.initial_backoff) {
    throw std::invalid_argument("ExporterOptions: need 0 <= initial_backoff <= max_backoff");
  }
}

std::vector<Attribute> resource_of(const ExporterOptions& o) {
  // OpenTelemetry resource semantic conventions: service.name defaults to
  // "unknown_service:<process name>"; telemetry.sdk.* name what produced the spans.
  std::vector<Attribute> resource;
  resource.push_back({"service.name", o.service_name.empty()
                                          ? std::string("unknown_service:httptrace")
                                          : o.service_name});
  resource.push_back({"telemetry.sdk.name", std::string("httptrace")});
  resource.push_back({"telemetry.sdk.language", std::string("cpp")});
  resource.push_back({"telemetry.sdk.version", std::string(detail::library_version())});
  for (const auto& [key, value] : o.resource_attributes) resource.push_back({key, value});
  return resource;
}

// Background work only runs on CPU the request path leaves idle (sched(7): SCHED_IDLE). Best
// effort: a system that refuses it leaves the thread as it was.
void lower_own_priority() {
  sched_param param{};
  param.sched_priority = 0;
  (void)pthread_setschedparam(pthread_self(), SCHED_IDLE, &param);
}

// CPU time this thread has used.
std::chrono::nanoseconds thread_cpu_time() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

}  // namespace

struct Exporter::Impl {
  explicit Impl(ExporterOptions o)
      : options(std::move(o)),
        resource(resource_of(options)),
        sender(options),
        ring(options.max_queue_size) {
    auto [ctx, cancel] = with_cancel(background());
    stop_ctx = std::move(ctx);
    stop = std::move(cancel);
  }

  // Lock-free: a request thread never waits for the export thread.
  bool submit(TracePtr trace) {
    if (!stopping.load(std::memory_order_seq_cst) && ring.push(trace)) {
      // The push that fills a batch rings the bell, once: the thread re-arms it when it takes
      // a batch, so a paused thread is not woken by every request.
      if (queued() >= options.max_batch_size && !batch_rung.load(std::memory_order_relaxed) &&
          !batch_rung.exchange(true, std::memory_order_seq_cst)) {
        bell.ring();
      }
      return true;
    }
    dropped.fetch_add(1, std::memory_order_relaxed);
    spans_dropped.fetch_add(span_count(*trace), std::memory_order_relaxed);
    return false;
  }

  bool flush(std::chrono::nanoseconds timeout) {
    const uint64_t target = ring.pushed();
    uint64_t wanted = flush_target.load(std::memory_order_seq_cst);
    while (wanted < target && !flush_target.compare_exchange_weak(wanted, target)) {
    }
    bell.ring();
    std::unique_lock lock(mutex);
    return progress.wait_for(lock, timeout, [&] { return done >= target; });
  }

  void shutdown(std::chrono::nanoseconds timeout) {
    if (shut_down.exchange(true)) return;
    flush(timeout);
    stopping.store(true, std::memory_order_seq_cst);
    stop();  // an export still running ends now
    bell.ring();
    if (thread.joinable()) thread.join();
    abandon_queued();
  }

  // The thread: wait for a full batch, a flush, the schedule delay or the stop; take the
  // oldest requests; export them.
  void run() {
    if (options.idle_priority) lower_own_priority();
    // A delay of 0 would make the thread spin on an empty queue.
    const std::chrono::nanoseconds delay =
        std::max<std::chrono::nanoseconds>(options.schedule_delay, std::chrono::milliseconds(1));
    while (true) {
      sleep_until(later(delay), [&] {
        return stopping.load(std::memory_order_seq_cst) || queued() >= options.max_batch_size ||
               flush_wanted();
      });
      if (stopping.load(std::memory_order_seq_cst)) return;
      batch_rung.store(false, std::memory_order_seq_cst);
      std::vector<TracePtr> batch = take(options.max_batch_size);
      if (batch.empty()) continue;
      const auto cpu_before = thread_cpu_time();
      export_batch(batch);
      batch.clear();  // the Timelines are released on this thread
      const std::chrono::nanoseconds used = thread_cpu_time() - cpu_before;
      {
        std::lock_guard lock(mutex);
        done = ring.popped();
        progress.notify_all();
      }
      pause_for_cpu_share(used);
    }
  }

  // max_cpu_share: `used` of CPU may take at most that share of the time, so wait out the
  // rest, unless a flush or the stop wants the thread.
  void pause_for_cpu_share(std::chrono::nanoseconds used) {
    if (options.max_cpu_share >= 1.0 || used <= std::chrono::nanoseconds::zero()) return;
    // In double, bounded before it becomes a duration: a tiny share must not overflow it.
    constexpr double kLongestPause = 3600e9;
    const double pause_ns = std::min(
        static_cast<double>(used.count()) * (1.0 / options.max_cpu_share - 1.0), kLongestPause);
    sleep_until(later(std::chrono::nanoseconds(static_cast<int64_t>(pause_ns))),
                [&] { return stopping.load(std::memory_order_seq_cst) || flush_wanted(); });
  }

  // Sleeps on the bell until `ready()` or `deadline`. The state is read before `ready()` is
  // checked, so a ring in between makes the sleep return at once.
  template <typename Ready>
  void sleep_until(std::chrono::steady_clock::time_point deadline, Ready ready) {
    while (true) {
      const uint32_t seen = bell.state();
      if (ready()) return;
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return;
      bell.sleep(seen, deadline - now);
    }
  }

  // now + `delay`, without overflowing the clock for delays of centuries.
  static std::chrono::steady_clock::time_point later(std::chrono::nanoseconds delay) {
    constexpr std::chrono::nanoseconds kFarEnough = std::chrono::hours(24 * 365);
    return std::chrono::steady_clock::now() + std::min(delay, kFarEnough);
  }

  // Requests accepted and not yet taken; popped() first, as it only grows towards pushed().
  uint64_t queued() const {
    const uint64_t popped = ring.popped();
    return ring.pushed() - popped;
  }

  bool flush_wanted() const { return flush_target.load(std::memory_order_seq_cst) > ring.popped(); }

  std::vector<TracePtr> take(std::size_t n) {
    std::vector<TracePtr> batch;
    batch.reserve(static_cast<std::size_t>(std::min<uint64_t>(n, queued())));
    while (batch.size() < n) {
      std::optional<TracePtr> trace = ring.pop();
      if (!trace) break;
      batch.push_back(std::move(*trace));
    }
    return batch;
  }

  // After the thread stopped: whatever is still queued is given up, and counted.
  void abandon_queued() {
    std::vector<TracePtr> rest = take(ring.capacity());
    uint64_t abandoned = 0;
    for (const TracePtr& trace : rest) abandoned += to_spans(*trace).size();
    std::lock_guard lock(mutex);
    stats.spans_failed += abandoned;
    done = ring.popped();
    progress.notify_all();
  }

  void export_batch(const std::vector<TracePtr>& batch) {
    std::vector<SpanData> spans;
    for (const TracePtr& trace : batch) {
      std::vector<SpanData> of_trace = to_spans(*trace);
      spans.insert(spans.end(), std::make_move_iterator(of_trace.begin()),
                   std::make_move_iterator(of_trace.end()));
    }
    if (spans.empty()) return;
    // One buffer for every batch: no megabyte allocation (and page faults) per POST.
    body.clear();
    detail::append_export_request_json(body, spans, resource);
    detail::SendOutcome outcome = sender.send(body, stop_ctx);
    std::lock_guard lock(mutex);
    stats.retries += static_cast<uint64_t>(outcome.retries);
    if (outcome.delivered) {
      stats.spans_exported += spans.size();
      ++stats.batches;
    } else {
      stats.spans_failed += spans.size();
    }
    if (!outcome.last_error.empty()) stats.last_error = outcome.last_error;
  }

  const ExporterOptions options;
  const std::vector<Attribute> resource;
  detail::OtlpSender sender;
  Context stop_ctx;
  CancelFunc stop;
  std::string body;  // the thread's

  // Filled by submit(), emptied by the thread (and by shutdown() once the thread is gone).
  detail::TraceRing<TracePtr> ring;
  detail::Doorbell bell;  // wakes the thread: a full batch, a flush, the stop
  std::atomic<bool> batch_rung{false};
  std::atomic<uint64_t> flush_target{0};  // flush() wants the first this many requests done
  std::atomic<bool> stopping{false};      // submit() drops, the thread is to return
  std::atomic<bool> shut_down{false};     // shutdown() began

  mutable std::mutex mutex;          // guards `done` and `stats`
  std::condition_variable progress;  // flush() waits on it
  uint64_t done = 0;                 // the first this many accepted requests are sent or given up
  ExporterStats stats;
  // Drops are counted without the lock.
  std::atomic<uint64_t> dropped{0};
  std::atomic<uint64_t> spans_dropped{0};
  std::thread thread;
};

Exporter::Exporter(ExporterOptions options) {
  validate(options);
  // The batch processor's rule: a batch is never larger than the queue.
  options.max_batch_size = std::min(options.max_batch_size, options.max_queue_size);
  impl_ = std::make_shared<Impl>(std::move(options));
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

Exporter::~Exporter() {
  shutdown(impl_->options.export_timeout);
}

bool Exporter::submit(std::shared_ptr<const RequestTrace> trace) {
  if (!trace || !trace->sampled()) return true;
  return impl_->submit(std::move(trace));
}

bool Exporter::flush(std::chrono::nanoseconds timeout) {
  return impl_->flush(timeout);
}

void Exporter::shutdown(std::chrono::nanoseconds timeout) {
  impl_->shutdown(timeout);
}

ExporterStats Exporter::stats() const {
  std::lock_guard lock(impl_->mutex);
  ExporterStats stats = impl_->stats;
  stats.queued = impl_->ring.pushed();
  stats.dropped = impl_->dropped.load(std::memory_order_relaxed);
  stats.spans_dropped = impl_->spans_dropped.load(std::memory_order_relaxed);
  return stats;
}

const ExporterOptions& Exporter::options() const noexcept {
  return impl_->options;
}

}  // namespace httptrace::otel
