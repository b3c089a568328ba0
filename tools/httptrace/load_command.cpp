#include "load_command.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <latch>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

#include "load_loop.hpp"
#include "load_otlp.hpp"
#include "load_protocol.hpp"
#include "load_report.hpp"
#include "load_threads.hpp"
#include "load_worker.hpp"
#include "progress_line.hpp"
#include "terminal.hpp"
#include "units.hpp"

namespace httptrace::cli {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kMaxConcurrency = 5000;
constexpr uint64_t kDefaultRequests = 200;
constexpr auto kDefaultTimeout = 20s;

// SIGINT ends the run early; the handler only sets this flag, the monitor loop acts on it.
std::atomic<bool> g_sigint{false};
extern "C" void on_sigint(int) {
  g_sigint.store(true, std::memory_order_relaxed);
}

class SigintScope {
 public:
  SigintScope() {
    g_sigint.store(false);
    struct sigaction action {};
    action.sa_handler = on_sigint;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &previous_);
  }
  ~SigintScope() { sigaction(SIGINT, &previous_, nullptr); }
  SigintScope(const SigintScope&) = delete;
  SigintScope& operator=(const SigintScope&) = delete;

 private:
  struct sigaction previous_ {};
};

struct Limits {
  uint64_t requests = 0;
  std::chrono::nanoseconds duration{0};
  std::chrono::nanoseconds timeout{0};
};

std::expected<Limits, std::string> check_flags(const LoadFlags& flags) {
  Limits limits;
  if (flags.concurrency < 1 || flags.concurrency > kMaxConcurrency) {
    return std::unexpected("-c must be between 1 and " + std::to_string(kMaxConcurrency));
  }
  if (flags.threads < 0 || flags.threads > kMaxConcurrency) {
    return std::unexpected("-t must be between 1 and " + std::to_string(kMaxConcurrency) +
                           " (0: one per CPU)");
  }
  if (!(flags.rate >= 0) || flags.rate > 1e7)
    return std::unexpected("-q must be a rate between 0 and 10000000 requests/s");
  if (!flags.duration.empty()) {
    auto d = parse_duration(flags.duration, 1s);
    if (!d || d->count() <= 0)
      return std::unexpected("-z wants a duration such as 10s or 2m, got \"" + flags.duration +
                             "\"");
    limits.duration = *d;
  }
  limits.requests = flags.requests;
  if (limits.requests == 0 && limits.duration.count() == 0) limits.requests = kDefaultRequests;
  if (!flags.timeout.empty()) {
    auto t = parse_duration(flags.timeout, 1s);
    if (!t)
      return std::unexpected("--timeout wants a duration such as 5s or 500ms, got \"" +
                             flags.timeout + "\"");
    limits.timeout = *t;
  } else if (flags.request.max_time_s <= 0) {
    limits.timeout = kDefaultTimeout;
  }
  return limits;
}

// Whether the run's request goes through a proxy (or the proxy choice fails: the Client then
// reports that failure as it always did).
bool proxied(const TransportOptions& options, const Request& request) {
  if (!options.proxy) return false;
  auto proxy = options.proxy(request);
  return !proxy || proxy->has_value();
}

}  // namespace

int run_load(const LoadFlags& flags, const LoadSettings& settings) {
  auto usage = [&](const std::string& problem) {
    std::fprintf(settings.err, "httptrace load: %s\n", problem.c_str());
    return 2;
  };
  auto limits = check_flags(flags);
  if (!limits) return usage(limits.error());
  auto prepared = prepare(flags.request);
  if (!prepared) return usage(prepared.error());

  const TransportOptions& options = prepared->transport->options();
  ClientOptions client_options = prepared->client_options;
  if (limits->timeout.count() > 0) client_options.timeout = limits->timeout;

  std::unique_ptr<CsvFile> csv;
  if (!flags.csv_file.empty()) {
    csv = CsvFile::open(flags.csv_file);
    if (!csv) return usage("--csv: cannot write \"" + flags.csv_file + "\"");
  }

  std::unique_ptr<LoadExport> otlp;
  if (!flags.otlp.empty()) {
    auto started = LoadExport::start(flags.otlp, flags.otlp_sample);
    if (!started) return usage(started.error());
    otlp = std::move(*started);
  }

  auto [run_ctx, cancel] = with_cancel(background());
  const Request request =
      prepared->request.with_context(otlp ? otlp->run_context(run_ctx) : run_ctx);
  const std::string protocol = load_protocol(flags.request, *prepared->transport, request);
  const bool http2 = protocol == "HTTP/2.0";
  const LoadPlan plan{std::string(request.method()),
                      request.url().redacted(),
                      limits->requests,
                      limits->duration,
                      flags.concurrency,
                      flags.rate,
                      protocol};
  SigintScope sigint;
  LoadStats stats;
  std::atomic<bool> interrupted{false};

  // The EventLoop serves the run unless it needs what only the Client does: redirects (-L),
  // a proxy or HTTP/2 (event_loop.hpp).
  const bool blocking = flags.request.follow_redirects || proxied(options, request) || http2;
  const int connections = flags.concurrency;
  int worker_count = blocking ? connections
                              : loop_threads(flags.threads, connections, request.url(),
                                             static_cast<int>(std::thread::hardware_concurrency()));
  if (limits->requests != 0) {
    worker_count =
        static_cast<int>(std::min<uint64_t>(limits->requests, static_cast<uint64_t>(worker_count)));
  }
  std::mutex mutex;
  std::condition_variable finished_cv;
  int running = worker_count;  // guarded by `mutex`
  // The run starts once every worker is ready: starting a thousand threads is not part of it.
  std::latch ready(worker_count);
  std::latch go(1);
  std::optional<RateSchedule> schedule;  // made just before `go`
  std::vector<std::thread> workers;
  workers.reserve(static_cast<std::size_t>(worker_count));
  std::optional<std::string> start_failure;
  const LoopLoadRun loop_run{
      options, request, stats, csv.get(), interrupted, client_options.timeout, otlp.get()};
  for (int i = 0; i < worker_count; ++i) {
    // Blocking: a Transport (so a pool) per worker, as wrk, oha and k6 give each connection or
    // virtual user its own: one pool shared by 64 threads serialises them on its lock —
    // measured at about half the requests/s on 2 cores (docs/cli.md "load"). Loops: each owns
    // its pool and its share of the connections.
    const int share = connections / worker_count + (i < connections % worker_count ? 1 : 0);
    // HTTP/2: every worker shares the prepared Transport, so their streams multiplex.
    if (blocking && !http2) client_options.transport = std::make_shared<Transport>(options);
    try {
      workers.emplace_back([&, client_options, share] {
        std::optional<Client> client;
        std::optional<LoadLoop> loop;
        if (blocking) {
          client.emplace(otlp ? propagating(client_options) : client_options);
        } else {
          loop.emplace(loop_run, share);
        }
        ready.count_down();
        go.wait();
        // No schedule: the run was called off before it started.
        if (schedule && client) {
          run_load_worker(
              LoadRun{*client, request, *schedule, stats, csv.get(), interrupted, otlp.get()});
        } else if (schedule) {
          loop->run(*schedule);
        }
        std::lock_guard lock(mutex);
        --running;
        finished_cv.notify_all();
      });
    } catch (const std::system_error& e) {
      start_failure =
          "cannot start " + std::to_string(worker_count) + " workers (" + e.what() + ")";
      ready.count_down(worker_count - i);
      std::lock_guard lock(mutex);
      running = i;
      break;
    }
  }
  if (start_failure) {
    go.count_down();
    for (std::thread& worker : workers) worker.join();
    std::fprintf(settings.err, "httptrace load: %s\n", start_failure->c_str());
    return 1;
  }

  ready.wait();
  const Clock::time_point start = Clock::now();
  schedule.emplace(limits->requests, limits->duration, flags.rate, start);
  go.count_down();

  std::optional<ProgressLine> progress;
  if (is_terminal(settings.err)) progress.emplace(settings.err, plan, stats, start);
  constexpr auto kTick = 100ms;
  constexpr auto kRedraw = 250ms;
  Clock::time_point drawn_at = start;
  {
    std::unique_lock lock(mutex);
    while (!finished_cv.wait_for(lock, kTick, [&] { return running == 0; })) {
      if (g_sigint.load(std::memory_order_relaxed) && !interrupted.load()) {
        interrupted.store(true);
        schedule->stop();
        cancel();
      }
      const Clock::time_point now = Clock::now();
      if (progress && now - drawn_at >= kRedraw) {
        lock.unlock();
        progress->draw(now);
        drawn_at = now;
        lock.lock();
      }
    }
  }
  for (std::thread& worker : workers) worker.join();
  const double duration_s = std::chrono::duration<double>(Clock::now() - start).count();
  if (progress) progress->clear();

  // The export is flushed after the clock stopped: the run's figures are the load's alone.
  std::optional<LoadOtlpSummary> otlp_summary;
  if (otlp) otlp_summary = otlp->finish();
  const LoadOutcome outcome{plan, stats, duration_s, interrupted.load(),
                            otlp_summary ? &*otlp_summary : nullptr};
  const std::string report = flags.json
                                 ? load_report_json(outcome) + "\n"
                                 : load_report_text(outcome, Palette(color_wanted(settings.out)));
  std::fwrite(report.data(), 1, report.size(), settings.out);
  std::fflush(settings.out);
  if (csv && !csv->ok()) {
    std::fprintf(settings.err, "httptrace load: writing \"%s\" failed\n", flags.csv_file.c_str());
    return 1;
  }
  if (outcome.interrupted) return 130;
  if (otlp_summary && (otlp_summary->spans_failed > 0 || !otlp_summary->flushed)) {
    std::fprintf(settings.err, "httptrace load: --otlp: spans not delivered to %s: %s\n",
                 otlp_summary->traces_url.c_str(),
                 otlp_summary->last_error.empty() ? "timed out" : otlp_summary->last_error.c_str());
    return 1;
  }
  return stats.errors() > 0 ? 1 : 0;
}

}  // namespace httptrace::cli
