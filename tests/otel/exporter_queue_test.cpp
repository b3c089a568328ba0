// The exporter's queue and thread against a scripted collector that answers when the test says:
// a full queue drops and counts without blocking; shutdown cuts a stuck export short.
#include "httptrace/otel.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/script_server.hpp"
#include "support/time_bounds.hpp"
#include "timeline/timeline_script.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;
using otel::Exporter;
using otel::ExporterOptions;
using otel::RequestTrace;

// A finished request on a fake clock: spans without any network.
std::shared_ptr<RequestTrace> scripted_trace() {
  Script s;
  FakeConn conn(1, "127.0.0.1:50000", "127.0.0.1:8080");
  s.at(0).start();
  s.at(0.1).get_conn();
  s.at(0.2).got_conn(conn, true);
  s.at(0.3).wrote_headers().wrote_request();
  s.at(1.0).first_byte();
  s.at(1.1).respond(200, "OK");
  s.at(1.5).mark_end(2);
  return RequestTrace::attach(s.ctx(), s.shared()).second;
}

constexpr std::string_view kAccepted =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";

// A collector that takes every POST.
void accept_every_export(ServerConn& conn) {
  while (conn.read_request()) {
    if (!conn.write(kAccepted)) return;
  }
}

ExporterOptions options_for(const ScriptServer& collector) {
  ExporterOptions o;
  o.traces_url = collector.url("/v1/traces");
  o.schedule_delay = 1h;
  o.export_timeout = scaled(10s);
  return o;
}

constexpr int kSubmitThreads = 4;
constexpr int kSubmitsEach = 500;
constexpr uint64_t kSubmits = kSubmitThreads * kSubmitsEach;

// kSubmitThreads threads submit `trace` kSubmitsEach times at once; returns how many were
// refused.
uint64_t submit_from_threads(Exporter& exporter, const std::shared_ptr<RequestTrace>& trace) {
  std::atomic<uint64_t> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kSubmitThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kSubmitsEach; ++i) {
        if (!exporter.submit(trace)) refused.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  return refused.load();
}

TEST(ExporterQueue, AFullQueueDropsAndCountsWithoutBlocking) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  ScriptServer collector([released](ServerConn& conn) {
    while (conn.read_request()) {
      // The first export is held until the test has filled the queue behind it.
      if (released.wait_for(scaled(10s)) != std::future_status::ready) return;
      if (!conn.write(kAccepted)) return;
    }
  });
  ExporterOptions o = options_for(collector);
  o.max_queue_size = 1;
  o.max_batch_size = 1;
  Exporter exporter(o);
  const auto trace = scripted_trace();
  const uint64_t spans = otel::to_spans(*trace).size();

  EXPECT_TRUE(exporter.submit(trace));
  // The thread took it and is blocked in the POST: the queue is empty again.
  ASSERT_TRUE(collector.wait_for_requests(1, scaled(5000ms)));
  EXPECT_TRUE(exporter.submit(trace));  // fills the queue (1 of 1)
  const auto before = std::chrono::steady_clock::now();
  EXPECT_FALSE(exporter.submit(trace));
  EXPECT_FALSE(exporter.submit(trace));
  EXPECT_LT(std::chrono::steady_clock::now() - before, scaled(100ms));  // dropping never waits
  auto stats = exporter.stats();
  EXPECT_EQ(stats.queued, 2u);
  EXPECT_EQ(stats.dropped, 2u);
  EXPECT_EQ(stats.spans_dropped, 2 * spans);

  release.set_value();
  ASSERT_TRUE(exporter.flush(scaled(5s)));
  stats = exporter.stats();
  EXPECT_EQ(stats.spans_exported, 2 * spans);
  EXPECT_EQ(stats.batches, 2u);
  EXPECT_EQ(stats.dropped, 2u);
  EXPECT_EQ(collector.requests().size(), 2u);
}

TEST(ExporterQueue, ShutdownCutsAStuckExportShortAndCountsItFailed) {
  ScriptServer collector([](ServerConn& conn) {
    if (conn.read_request()) conn.wait_for_peer_close(scaled(30000ms));  // never answers
  });
  ExporterOptions o = options_for(collector);
  o.export_timeout = 60s;
  Exporter exporter(o);
  const auto trace = scripted_trace();
  EXPECT_TRUE(exporter.submit(trace));
  EXPECT_TRUE(exporter.submit(trace));
  EXPECT_FALSE(exporter.flush(50ms));  // the collector is stuck: not delivered yet
  ASSERT_TRUE(collector.wait_for_requests(1, scaled(5000ms)));

  const auto before = std::chrono::steady_clock::now();
  exporter.shutdown(100ms);
  EXPECT_LT(std::chrono::steady_clock::now() - before, scaled(2000ms));
  const auto stats = exporter.stats();
  EXPECT_EQ(stats.spans_exported, 0u);
  EXPECT_EQ(stats.spans_failed, 2 * otel::to_spans(*trace).size());
  EXPECT_FALSE(stats.last_error.empty());
  EXPECT_FALSE(exporter.submit(trace));  // after shutdown: dropped
  EXPECT_EQ(exporter.stats().dropped, 1u);
  exporter.shutdown(100ms);  // idempotent
}

TEST(ExporterQueue, UnreachableCollectorIsRetriedThenGivenUp) {
  // A collector that is gone: its port refuses connections.
  std::string traces_url;
  {
    ScriptServer gone([](ServerConn&) {});
    traces_url = gone.url("/v1/traces");
  }
  ExporterOptions o;
  o.traces_url = traces_url;
  o.schedule_delay = 1h;
  o.max_attempts = 3;
  o.initial_backoff = 1ms;
  o.max_backoff = 2ms;
  Exporter exporter(o);
  const auto trace = scripted_trace();
  EXPECT_TRUE(exporter.submit(trace));
  ASSERT_TRUE(exporter.flush(scaled(5s)));
  const auto stats = exporter.stats();
  EXPECT_EQ(stats.retries, 2u);
  EXPECT_EQ(stats.spans_failed, otel::to_spans(*trace).size());
  EXPECT_NE(stats.last_error.find("refused"), std::string::npos) << stats.last_error;
}

TEST(ExporterQueue, ConcurrentSubmittersAtIdlePriorityCountEveryRequestOnce) {
  ScriptServer collector(accept_every_export);
  ExporterOptions o = options_for(collector);
  o.max_queue_size = 8;
  o.max_batch_size = 4;
  o.idle_priority = true;
  Exporter exporter(o);
  const auto trace = scripted_trace();
  const uint64_t spans = otel::to_spans(*trace).size();
  const uint64_t refused = submit_from_threads(exporter, trace);
  ASSERT_TRUE(exporter.flush(scaled(10s)));
  const auto stats = exporter.stats();
  // Each submit() was queued or dropped, never both, never lost; a drop counts its spans.
  EXPECT_EQ(stats.queued + stats.dropped, kSubmits);
  EXPECT_EQ(stats.dropped, refused);
  EXPECT_EQ(stats.spans_dropped, stats.dropped * spans);
  EXPECT_EQ(stats.spans_exported, stats.queued * spans);
  EXPECT_EQ(stats.spans_failed, 0u);
}

TEST(ExporterQueue, AQueueWithRoomRefusesNothingWhileTheThreadWorks) {
  ScriptServer collector(accept_every_export);
  ExporterOptions o = options_for(collector);
  o.max_queue_size = kSubmits;
  o.max_batch_size = 2;  // the thread wakes, takes and exports all the while
  Exporter exporter(o);
  const auto trace = scripted_trace();
  EXPECT_EQ(submit_from_threads(exporter, trace), 0u);
  ASSERT_TRUE(exporter.flush(scaled(30s)));
  const auto stats = exporter.stats();
  EXPECT_EQ(stats.queued, kSubmits);
  EXPECT_EQ(stats.spans_exported, stats.queued * otel::to_spans(*trace).size());
}

TEST(ExporterQueue, DestructorFlushesWhatWasQueued) {
  ScriptServer collector(accept_every_export);
  const auto trace = scripted_trace();
  {
    Exporter exporter(options_for(collector));
    EXPECT_TRUE(exporter.submit(trace));
    EXPECT_TRUE(exporter.submit(trace));
  }
  ASSERT_TRUE(collector.wait_for_requests(1, scaled(5000ms)));
  EXPECT_NE(collector.requests()[0].request.body.find(trace->hop_span_id(0).hex()),
            std::string::npos);
}

TEST(ExporterQueue, ACpuShareHoldsTheNextBatchBackUntilAFlush) {
  ScriptServer collector(accept_every_export);
  ExporterOptions o = options_for(collector);
  o.max_batch_size = 1;
  // A batch's CPU time buys a pause of an hour (the longest there is).
  o.max_cpu_share = 1e-9;
  Exporter exporter(o);
  const auto trace = scripted_trace();
  const uint64_t spans = otel::to_spans(*trace).size();

  EXPECT_TRUE(exporter.submit(trace));
  ASSERT_TRUE(collector.wait_for_requests(1, scaled(5000ms)));
  // A full batch wakes the thread at once when it is not pausing: without the cap this second
  // request reaches the collector within milliseconds.
  EXPECT_TRUE(exporter.submit(trace));
  EXPECT_FALSE(collector.wait_for_requests(2, scaled(300ms)));

  // A flush ends the pause.
  ASSERT_TRUE(exporter.flush(scaled(5s)));
  EXPECT_EQ(collector.requests().size(), 2u);
  EXPECT_EQ(exporter.stats().spans_exported, 2 * spans);
}

TEST(ExporterQueue, ACpuShareOutsideZeroToOneIsRefused) {
  ExporterOptions o;
  o.max_cpu_share = 0;
  EXPECT_THROW(Exporter{o}, std::invalid_argument);
  o.max_cpu_share = 1.5;
  EXPECT_THROW(Exporter{o}, std::invalid_argument);
}

}  // namespace
}  // namespace httptrace::testing
