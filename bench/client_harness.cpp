#include "client_harness.hpp"

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include <httptrace/json.hpp>
#include "alloc_counter.hpp"

// The timed loop has a C name of its own so `valgrind --tool=callgrind
// --toggle-collect=bench_timed_loop` profiles exactly the timed requests (bench-callgrind).
extern "C" [[gnu::noinline]] bool bench_timed_loop(const bench::OneRequest* one_request, long count,
                                                   std::uint64_t* body_bytes, std::string* error) {
  for (long i = 0; i < count; ++i) {
    auto bytes = (*one_request)();
    if (!bytes) {
      *error = std::move(bytes.error());
      return false;
    }
    *body_bytes += *bytes;
  }
  return true;
}

namespace bench {
namespace {

struct CpuTimes {
  double user = 0;
  double sys = 0;
};

double seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6;
}

CpuTimes cpu_now() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return {seconds(usage.ru_utime), seconds(usage.ru_stime)};
}

int report_failure(std::string_view client, const ClientArgs& args, std::string_view phase,
                   const std::string& error) {
  httptrace::JsonObject line;
  line.field("client", client).field("mode", args.mode).field("url", args.url);
  line.field("error", std::string(phase) + ": " + error);
  std::printf("%s\n", line.str().c_str());
  return 1;
}

// `count` requests shared out between `threads` threads; false with the first error.
bool run_shared(const OneRequest& one_request, long count, int threads, std::uint64_t& body_bytes,
                std::string& error) {
  if (threads <= 1) return bench_timed_loop(&one_request, count, &body_bytes, &error);
  std::mutex mu;
  bool ok = true;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    const long share = count / threads + (t < count % threads ? 1 : 0);
    workers.emplace_back([&, share] {
      std::uint64_t bytes = 0;
      std::string why;
      const bool done = bench_timed_loop(&one_request, share, &bytes, &why);
      std::lock_guard lock(mu);
      body_bytes += bytes;
      if (!done && ok) {
        ok = false;
        error = std::move(why);
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  return ok;
}

int measure(std::string_view client, const ClientArgs& args, int threads,
            const OneRequest& one_request) {
  std::uint64_t body_bytes = 0;
  std::string error;
  if (!run_shared(one_request, args.warmup, threads, body_bytes, error)) {
    return report_failure(client, args, "warm-up", error);
  }
  body_bytes = 0;
  if (args.count_allocs) start_counting_allocations();
  const CpuTimes cpu_before = cpu_now();
  const auto wall_before = std::chrono::steady_clock::now();
  const bool ok = run_shared(one_request, args.requests, threads, body_bytes, error);
  const auto wall_after = std::chrono::steady_clock::now();
  const CpuTimes cpu_after = cpu_now();
  const std::uint64_t allocations = args.count_allocs ? stop_counting_allocations() : 0;
  if (!ok) return report_failure(client, args, "timed loop", error);

  const double wall = std::chrono::duration<double>(wall_after - wall_before).count();
  const double user = cpu_after.user - cpu_before.user;
  const double sys = cpu_after.sys - cpu_before.sys;
  const auto n = static_cast<double>(args.requests);
  httptrace::JsonObject line;
  line.field("client", client).field("mode", args.mode).field("url", args.url);
  line.field("requests", std::int64_t{args.requests});
  line.field("wall_s", wall, 6)
      .field("cpu_s", user + sys, 6)
      .field("user_s", user, 6)
      .field("sys_s", sys, 6);
  line.field("requests_per_s", n / wall, 6);
  line.field("cpu_us_per_request", (user + sys) * 1e6 / n, 6);
  line.field("body_bytes_per_request", static_cast<double>(body_bytes) / n, 6);
  if (args.count_allocs) line.field("allocs_per_request", static_cast<double>(allocations) / n, 6);
  std::printf("%s\n", line.str().c_str());
  return 0;
}

}  // namespace

int run_client(std::string_view client, const ClientArgs& args, const OneRequest& one_request) {
  return measure(client, args, 1, one_request);
}

int run_client_threads(std::string_view client, const ClientArgs& args, int threads,
                       const OneRequest& one_request) {
  return measure(client, args, threads, one_request);
}

}  // namespace bench
