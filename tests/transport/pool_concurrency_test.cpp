// 8 threads × 500 requests sharing one Client: no race (run under TSan), every request
// answered, and the pool's limits respected at every moment a connection is handed out.
#include "httptrace/client.hpp"

#include <algorithm>
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "support/nginx.hpp"
#include "transport/fixture.hpp"

namespace httptrace::testing {
namespace {

TEST(PoolConcurrency, EightThreadsShareOneClientWithinPoolLimits) {
  NginxServer nginx{NginxOptions{}};
  constexpr int kThreads = 8;
  constexpr int kRequests = 500;
  constexpr int kMaxConns = 4;
  constexpr int kMaxIdle = 3;
  auto options = test_options();
  options.max_conns_per_host = kMaxConns;
  options.max_idle_conns_per_host = kMaxIdle;
  auto transport = make_transport(options);
  ClientOptions client_options;
  client_options.transport = transport;
  Client client(client_options);

  std::atomic<int> failures{0}, dials{0}, reused{0}, peak_open{0};
  ClientTrace trace;
  trace.connect_start = [&](std::string_view, std::string_view) { ++dials; };
  trace.got_conn = [&](const GotConnInfo& info) {
    if (info.reused) ++reused;
    int open = static_cast<int>(transport->pool_stats().open_conns);
    int peak = peak_open.load();
    while (open > peak && !peak_open.compare_exchange_weak(peak, open)) {
    }
  };
  Context ctx = with_client_trace(background(), trace);
  const std::string url = nginx.base_url() + "/hello";

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRequests; ++i) {
        // Alternate a shared request and a fresh one: both must be safe to send concurrently.
        auto request = Request::make(i % 2 ? "GET" : "HEAD", url);
        auto response = client.send(request->with_context(ctx));
        if (!response) {
          ++failures;
          ADD_FAILURE() << "thread " << t << " request " << i << ": " << response.error().what();
          continue;
        }
        auto body = response->body().read_all();
        if (!body || (i % 2 && *body != "hello world\n")) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();

  EXPECT_EQ(failures, 0);
  EXPECT_LE(peak_open.load(), kMaxConns);
  EXPECT_LE(dials.load(), kThreads * kRequests);
  EXPECT_GE(reused.load(), kThreads * kRequests - dials.load());
  PoolStats after = transport->pool_stats();
  EXPECT_LE(after.idle_conns, static_cast<std::size_t>(kMaxIdle));
  EXPECT_LE(after.open_conns, static_cast<std::size_t>(kMaxConns));
  EXPECT_EQ(after.waiting_requests, 0u);
  transport->close_idle_connections();
  EXPECT_EQ(transport->pool_stats().open_conns, 0u);
}

// Waiters whose context ends leave no residue in the queue (bad-inputs E39).
TEST(PoolConcurrency, CanceledWaitersLeaveNoResidue) {
  NginxServer nginx{NginxOptions{}};
  auto options = test_options();
  options.max_conns_per_host = 1;
  auto transport = make_transport(options);
  auto holder = transport->round_trip(*Request::make("GET", nginx.base_url() + "/static/16k.bin"));
  ASSERT_TRUE(holder);
  std::vector<std::thread> waiters;
  std::atomic<int> canceled{0};
  std::vector<CancelFunc> cancels;
  std::vector<Context> contexts;
  for (int i = 0; i < 6; ++i) {
    auto [ctx, cancel] = with_cancel(background());
    contexts.push_back(ctx);
    cancels.push_back(cancel);
  }
  for (int i = 0; i < 6; ++i) {
    waiters.emplace_back([&, i] {
      auto response = transport->round_trip(Request::make("GET", nginx.base_url() + "/hello")->with_context(contexts[i]));
      if (!response && response.error().code() == ErrorCode::canceled) ++canceled;
    });
  }
  while (transport->pool_stats().waiting_requests < 6) std::this_thread::yield();
  for (auto& cancel : cancels) cancel();
  for (auto& waiter : waiters) waiter.join();
  EXPECT_EQ(canceled, 6);
  EXPECT_EQ(transport->pool_stats().waiting_requests, 0u);
  ASSERT_TRUE(holder->body().read_all());
  // The slot is free again.
  auto next = transport->round_trip(*Request::make("GET", nginx.base_url() + "/hello"));
  ASSERT_TRUE(next);
}

}  // namespace
}  // namespace httptrace::testing
