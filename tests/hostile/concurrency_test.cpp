// bad-inputs.md E39 and F43: the cases where requests race each other for connections. Also
// run under TSan (label `concurrency`).
#include "httptrace/transport.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "hostile/hostile_fixture.hpp"

namespace httptrace::testing {
namespace {

using HostileConcurrency = Hostile;

// A gate a server handler waits at until the test opens it (or the bound passes).
class Gate {
 public:
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  bool wait(std::chrono::milliseconds bound) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, bound, [this] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Polls `condition` (there is no event for "a request is now queued in the pool").
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds bound) {
  const auto until = Clock::now() + bound;
  while (!condition()) {
    if (Clock::now() > until) return false;
    std::this_thread::yield();
  }
  return true;
}

// E39. One connection allowed, 50 requests at once: one dial, served in arrival order;
// canceled waiters leave the queue without a trace.
TEST_F(HostileConcurrency, FiftyRequestsShareOneConnectionInOrder) {
  constexpr int kRequests = 50;
  TransportOptions options = test_options();
  options.max_conns_per_host = 1;
  use_options(options);
  Gate first_answer;
  ScriptServer server([&first_answer](ServerConn& conn) {
    bool first = true;
    while (conn.read_request()) {
      if (first && !first_answer.wait(scaled(10s))) return;
      first = false;
      std::this_thread::sleep_for(2ms);  // the server stalls each answer a little
      if (!conn.write(kOk)) return;
    }
  });

  auto canceled = [](int i) { return i % 7 == 3; };
  std::vector<Exchange> results(kRequests);
  std::vector<CancelFunc> cancels(kRequests);
  std::vector<std::thread> threads;
  for (int i = 0; i < kRequests; ++i) {
    auto [ctx, cancel] = with_cancel(background());
    cancels[i] = cancel;
    Request request = get(server.url("/" + std::to_string(i)), ctx);
    threads.emplace_back([this, &results, i, request] { results[i] = exchange(request); });
    // Queue them one by one so the arrival order is known: request 0 holds the connection,
    // request i is the i-th waiter.
    auto queued = [&] {
      PoolStats stats = transport->pool_stats();
      return stats.open_conns == 1 && stats.waiting_requests == static_cast<std::size_t>(i);
    };
    if (!eventually(queued, scaled(5s))) {
      ADD_FAILURE() << "request " << i << " never queued";
      break;
    }
  }
  const bool all_queued = threads.size() == kRequests;
  for (std::size_t i = 1; i < threads.size(); ++i) {
    if (canceled(static_cast<int>(i)) || !all_queued) cancels[i]();
  }
  first_answer.open();
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(all_queued);

  EXPECT_EQ(server.connections_accepted(), 1u);
  std::size_t connects = 0;
  std::vector<std::string> expected_order;
  for (int i = 0; i < kRequests; ++i) {
    SCOPED_TRACE(i);
    const Exchange& x = results[i];
    connects += x.hooks->count("connect_start");
    if (canceled(i)) {
      EXPECT_ERROR(x, ErrorCode::canceled);
      EXPECT_EQ(x.hooks->count("got_conn"), 0u);
      expect_consistent_trace(x, Pooling::never);
      continue;
    }
    ASSERT_TRUE(x.response) << x.describe();
    EXPECT_EQ(x.body, "ok");
    expect_consistent_trace(x, Pooling::once);
    expected_order.push_back("/" + std::to_string(i));
  }
  EXPECT_EQ(connects, 1u);
  std::vector<std::string> served;
  for (const LoggedRequest& logged : server.requests()) served.push_back(logged.request.target);
  EXPECT_EQ(served, expected_order);
  EXPECT_EQ(transport->pool_stats().waiting_requests, 0u);
}

// F43 (Go issue 41600). A's connection goes back to the pool inside A's last body read; B takes
// it and is canceled mid-exchange while A's put_idle_conn is still running: A completes.
TEST_F(HostileConcurrency, CancelingTheNextUserOfARecycledConnectionSparesTheFirst) {
  Gate second_answer;
  ScriptServer server([&second_answer](ServerConn& conn) {
    int n = 0;
    while (conn.read_request()) {
      if (n++ == 1 && !second_answer.wait(scaled(10s))) return;
      if (!conn.write(kOk)) return;
    }
  });
  auto [ctx_b, cancel_b] = with_cancel(background());
  std::optional<Exchange> b;
  std::thread b_thread;
  std::atomic<bool> b_got_conn{false};

  ClientTrace a_trace;
  a_trace.put_idle_conn = [&](const Error*) {
    ClientTrace b_trace;
    b_trace.wrote_request = [&](const WroteRequestInfo&) { b_got_conn = true; };
    Request request = get(server.url("/b"), with_client_trace(ctx_b, b_trace));
    b_thread = std::thread([&, request] { b = exchange(request); });
    EXPECT_TRUE(eventually([&] { return b_got_conn.load(); }, scaled(5s)));
    cancel_b();
    b_thread.join();  // B is over before A's hook returns
  };
  Request a = get(server.url("/a"), with_client_trace(background(), a_trace));
  Exchange x = exchange(a);
  ASSERT_TRUE(x.response) << x.describe();
  EXPECT_EQ(x.body, "ok");
  EXPECT_TRUE(x.body_eof);
  EXPECT_FALSE(x.body_error.has_value());
  ASSERT_TRUE(b);
  EXPECT_ERROR(*b, ErrorCode::canceled);
  EXPECT_EQ(b->hooks->lines_starting("got_conn"),
            std::vector<std::string>{"got_conn reused=1 was_idle=1"});
  second_answer.open();
}

}  // namespace
}  // namespace httptrace::testing
