// The batching exporter: a bounded ring of traced requests filled by submit() on the request
// path, drained by one background thread that builds the spans, encodes them and POSTs them.

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <stdexcept>
#include <thread>

#include "httptrace/otel.hpp"
#include "httptrace/url.hpp"
#include "otel/otlp_json.hpp"
#include "otel/otlp_sender.hpp"

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

  bool submit(TracePtr trace) {
    bool wake_thread = false;
    {
      std::unique_lock lock = lock_briefly();
      if (lock.owns_lock() && !stopping && count < ring.size()) {
        ring[(head + count) % ring.size()] = std::move(trace);
        ++count;
        ++accepted_seq;
        ++stats.queued;
        wake_thread = count == options.max_batch_size;
      }
    }
    if (!trace) {
      if (wake_thread) wake.notify_one();
      return true;
    }
    // Dropped: counted outside the lock, so the request path pays for its own drop and the
    // thread waits for nothing.
    dropped.fetch_add(1, std::memory_order_relaxed);
    spans_dropped.fetch_add(span_count(*trace), std::memory_order_relaxed);
    return false;
  }

  // The queue's lock if it can be had at once, after a short spin, or not at all: a request
  // thread must not wait for the export thread, which may be preempted while holding it (with
  // idle_priority it only runs on idle CPU). Other submitters hold it for nanoseconds.
  std::unique_lock<std::mutex> lock_briefly() {
    constexpr int kTries = 64;
    constexpr int kYields = 8;
    std::unique_lock lock(mutex, std::try_to_lock);
    for (int i = 0; !lock.owns_lock() && i < kTries + kYields; ++i) {
      if (i >= kTries) std::this_thread::yield();
      (void)lock.try_lock();
    }
    return lock;
  }

  bool flush(std::chrono::nanoseconds timeout) {
    std::unique_lock lock(mutex);
    const uint64_t target = accepted_seq;
    flush_seq = std::max(flush_seq, target);
    wake.notify_one();
    return progress.wait_for(lock, timeout, [&] { return done_seq >= target; });
  }

  void shutdown(std::chrono::nanoseconds timeout) {
    {
      std::lock_guard lock(mutex);
      if (stopped) return;
      stopped = true;
    }
    flush(timeout);
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    stop();
    wake.notify_one();
    if (thread.joinable()) thread.join();
  }

  // The thread: wait for a full batch, a flush, the schedule delay or the stop; take the
  // oldest requests; export them outside the lock.
  void run() {
    if (options.idle_priority) lower_own_priority();
    std::unique_lock lock(mutex);
    while (true) {
      wake.wait_for(lock, options.schedule_delay, [&] {
        return stopping || count >= options.max_batch_size || (flush_seq > taken_seq && count > 0);
      });
      if (stopping) break;
      if (count == 0) continue;
      std::vector<TracePtr> batch = take(options.max_batch_size);
      lock.unlock();
      const auto cpu_before = thread_cpu_time();
      export_batch(batch);
      batch.clear();  // the Timelines are released outside the lock
      const std::chrono::nanoseconds used = thread_cpu_time() - cpu_before;
      lock.lock();
      done_seq = taken_seq;
      progress.notify_all();
      pause_for_cpu_share(lock, used);
    }
    // Shutting down: whatever is still queued is given up, and counted.
    std::vector<TracePtr> rest = take(count);
    done_seq = taken_seq;
    lock.unlock();
    uint64_t abandoned = 0;
    for (const TracePtr& trace : rest) abandoned += to_spans(*trace).size();
    lock.lock();
    stats.spans_failed += abandoned;
    progress.notify_all();
  }

  // max_cpu_share: `used` of CPU may take at most that share of the time, so wait out the
  // rest, unless a flush or the stop wants the thread.
  void pause_for_cpu_share(std::unique_lock<std::mutex>& lock, std::chrono::nanoseconds used) {
    if (options.max_cpu_share >= 1.0 || used <= std::chrono::nanoseconds::zero()) return;
    // In double, bounded before it becomes a duration: a tiny share must not overflow it.
    constexpr double kLongestPause = 3600e9;
    const double pause_ns = std::min(
        static_cast<double>(used.count()) * (1.0 / options.max_cpu_share - 1.0), kLongestPause);
    wake.wait_for(lock, std::chrono::nanoseconds(static_cast<int64_t>(pause_ns)),
                  [&] { return stopping || flush_seq > taken_seq; });
  }

  std::vector<TracePtr> take(std::size_t n) {
    std::vector<TracePtr> batch;
    n = std::min(n, count);
    batch.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      batch.push_back(std::move(ring[head]));
      head = (head + 1) % ring.size();
    }
    count -= n;
    taken_seq += n;
    return batch;
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

  mutable std::mutex mutex;
  std::condition_variable wake;      // the thread waits on it
  std::condition_variable progress;  // flush() waits on it
  std::vector<TracePtr> ring;
  std::size_t head = 0;
  std::size_t count = 0;
  // Sequence numbers of accepted requests: the ring is FIFO, so the first `taken_seq` were
  // taken by the thread and the first `done_seq` are exported or given up.
  uint64_t accepted_seq = 0;
  uint64_t taken_seq = 0;
  uint64_t done_seq = 0;
  uint64_t flush_seq = 0;
  bool stopping = false;  // the thread is to exit; submit() drops
  bool stopped = false;   // shutdown() began
  ExporterStats stats;
  // Drops are counted without the lock (submit() may not have it).
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
  stats.dropped = impl_->dropped.load(std::memory_order_relaxed);
  stats.spans_dropped = impl_->spans_dropped.load(std::memory_order_relaxed);
  return stats;
}

const ExporterOptions& Exporter::options() const noexcept {
  return impl_->options;
}

}  // namespace httptrace::otel
