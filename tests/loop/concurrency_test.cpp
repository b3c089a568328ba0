// Many requests on one EventLoop, and submissions from several threads while it runs (TSan):
// every request completes once, with its own hooks on the loop thread, the pool stays within
// its limits, and no descriptor is left behind.
#include "httptrace/event_loop.hpp"

#include <atomic>
#include <cmath>
#include <thread>

#include <gtest/gtest.h>

#include "httptrace/timeline.hpp"
#include "loop/loop_fixture.hpp"
#include "support/fd_count.hpp"
#include "support/nginx.hpp"
#include "support/script_server.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;

class LoopConcurrency : public ::testing::Test {
 protected:
  NginxServer nginx{NginxOptions{}};
  std::string hello = nginx.base_url() + "/hello";
};

TEST_F(LoopConcurrency, HundredsOfRequestsOnOneLoopShareItsConnections) {
  const int baseline = open_fd_count();
  {
    auto options = test_options();
    options.max_conns_per_host = 32;
    options.max_idle_conns_per_host = 32;
    EventLoop loop(options);
    constexpr int kRequests = 2000;
    int ok = 0;
    uint64_t bytes = 0;
    HookRecorder hooks;
    for (int i = 0; i < kRequests; ++i) {
      loop.submit(traced("GET", hello, hooks), [&](EventLoop::Completion& c) {
        EXPECT_TRUE(c.response) << c.response.error().what();
        if (c.response && c.response->status_code() == 200) ++ok;
        bytes += c.body_bytes;
      });
    }
    EXPECT_EQ(loop.run(), static_cast<std::size_t>(kRequests));
    EXPECT_EQ(ok, kRequests);
    EXPECT_EQ(bytes, 12u * kRequests);
    EXPECT_EQ(hooks.count("got_conn"), static_cast<std::size_t>(kRequests));
    EXPECT_LE(hooks.count("connect_start"), 32u);
    EXPECT_EQ(hooks.count("put_idle_conn"), static_cast<std::size_t>(kRequests));
    for (auto id : hooks.threads()) ASSERT_EQ(id, std::this_thread::get_id());
    EXPECT_LE(loop.pool_stats().open_conns, 32u);
    EXPECT_EQ(loop.in_flight(), 0u);
  }
  EXPECT_EQ(wait_for_fd_count(baseline, scaled(1s)), baseline);
}

// Four threads submit while a fifth runs the loop; each request carries a Timeline (the
// recorder is thread-safe) whose phases add up.
TEST_F(LoopConcurrency, SubmitFromSeveralThreadsWhileTheLoopRuns) {
  auto options = test_options();
  options.max_idle_conns_per_host = 64;
  EventLoop loop(options);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 250;
  std::atomic<int> completed{0};
  std::atomic<int> consistent{0};
  std::atomic<bool> submitting{true};
  std::thread runner([&] {
    while (submitting.load() || loop.in_flight() > 0) loop.run_once(5ms);
  });
  std::vector<std::thread> submitters;
  for (int t = 0; t < kThreads; ++t) {
    submitters.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        auto request = Request::make("GET", hello);
        auto [ctx, timeline] = Timeline::attach(request->context());
        loop.submit(request->with_context(ctx), [&, timeline = timeline](EventLoop::Completion& c) {
          if (c.response) {
            timeline->mark_end(c.body_bytes);
            const Phases p = timeline->phases(0);
            const double sum = p.pool_wait.value_or(0) + p.dns.value_or(0) + p.connect.value_or(0) +
                               p.tls.value_or(0) + p.send.value_or(0) + p.wait.value_or(0) +
                               p.receive.value_or(0);
            if (std::abs(sum - p.total) < 0.0015) ++consistent;
          }
          ++completed;
        });
        if (i % 50 == 0) std::this_thread::yield();
      }
    });
  }
  for (auto& t : submitters) t.join();
  submitting = false;
  runner.join();
  EXPECT_EQ(completed.load(), kThreads * kPerThread);
  EXPECT_EQ(consistent.load(), kThreads * kPerThread);
  EXPECT_EQ(loop.in_flight(), 0u);
}

// stop() from another thread makes run() return with requests still in flight; run() again
// finishes them.
TEST_F(LoopConcurrency, StopFromAnotherThreadEndsRun) {
  EventLoop loop(test_options());
  std::atomic<int> completed{0};
  // A request that cannot finish until it is canceled: the server never answers.
  ScriptServer silent([](ServerConn& conn) {
    if (conn.read_request()) conn.wait_for_peer_close(scaled(10s));
  });
  auto [ctx, cancel] = with_cancel(background());
  loop.submit(Request::make("GET", silent.url("/"))->with_context(ctx),
              [&](EventLoop::Completion&) { ++completed; });
  loop.submit(*Request::make("GET", hello), [&](EventLoop::Completion&) { ++completed; });
  std::thread stopper([&] {
    while (completed.load() == 0) std::this_thread::yield();
    loop.stop();
  });
  loop.run();
  stopper.join();
  EXPECT_GE(completed.load(), 1);
  cancel();
  loop.run();
  EXPECT_EQ(completed.load(), 2);
  EXPECT_EQ(loop.in_flight(), 0u);
}

}  // namespace
}  // namespace httptrace::testing
