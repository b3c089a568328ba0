// 8 threads × 500 requests sharing one Client: no race (run under TSan), every request
// answered, and the pool's limits respected at every moment a connection is handed out.
#include "httptrace/client.hpp"

#include <algorithm>
#include <atomic>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "net/stream.hpp"
#include "support/forwarding_stream.hpp"
#include "support/nginx.hpp"
#include "transport/fixture.hpp"
#include "transport/stream_wrapper.hpp"

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

// Holds a connection's idle-liveness check until the test lets it go, once armed; or makes
// the next check find the connection dead.
class LivenessGate {
 public:
  void arm() { armed_ = true; }
  void fail_next() { fail_next_ = true; }
  bool next_fails() { return fail_next_.exchange(false); }
  void hold() {
    if (!armed_.exchange(false)) return;
    entered_.set_value();
    released_.get_future().wait();
  }
  void wait_until_held() { entered_.get_future().wait(); }
  void release() { released_.set_value(); }

 private:
  std::atomic<bool> armed_{false};
  std::atomic<bool> fail_next_{false};
  std::promise<void> entered_;
  std::promise<void> released_;
};

class GatedStream final : public ForwardingStream {
 public:
  GatedStream(std::unique_ptr<net::Stream> inner, std::shared_ptr<LivenessGate> gate)
      : ForwardingStream(std::move(inner)), gate_(std::move(gate)) {}

  bool idle_alive() noexcept override {
    gate_->hold();
    return !gate_->next_fails() && inner_->idle_alive();
  }

 private:
  std::shared_ptr<LivenessGate> gate_;
};

ClientOptions client_options_for(std::shared_ptr<Transport> transport) {
  ClientOptions options;
  options.transport = std::move(transport);
  return options;
}

// A Client whose Transport passes every connection's liveness check through `gate`.
struct GatedClient {
  explicit GatedClient(TransportOptions options = test_options())
      : transport(make_transport(std::move(options))), client(client_options_for(transport)) {
    detail::set_stream_wrapper(*transport, [gate = gate](std::unique_ptr<net::Stream> inner) {
      return std::make_unique<GatedStream>(std::move(inner), gate);
    });
  }

  std::shared_ptr<LivenessGate> gate = std::make_shared<LivenessGate>();
  std::shared_ptr<Transport> transport;
  Client client;
};

// Checking whether an idle connection is still alive is a system call (and, over TLS, maybe a
// record to process): the pool's lock is not held meanwhile, so other requests on the same
// Transport do not queue behind it.
TEST(PoolConcurrency, AnIdleConnectionsLivenessCheckDoesNotHoldThePool) {
  NginxServer nginx{NginxOptions{}};
  GatedClient gated;
  auto& [gate, transport, client] = gated;
  const std::string url = nginx.base_url() + "/hello";

  auto first = client.get(url);
  ASSERT_TRUE(first) << first.error().what();
  ASSERT_EQ(first->body().read_all().value_or(""), "hello world\n");
  ASSERT_EQ(transport->pool_stats().idle_conns, 1u);

  gate->arm();
  std::string second_body;
  std::thread second([&] {
    auto response = client.get(url);
    if (response) second_body = response->body().read_all().value_or("");
  });
  gate->wait_until_held();
  // pool_stats() takes the pool's lock: it must answer while the check is under way.
  auto stats = std::async(std::launch::async, [&] { return transport->pool_stats(); });
  const bool answered = stats.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  gate->release();
  second.join();
  ASSERT_TRUE(answered) << "pool_stats() waited for another request's liveness check";
  const PoolStats during = stats.get();
  EXPECT_EQ(during.idle_conns, 0u);  // the connection being checked is not idle any more
  EXPECT_EQ(during.open_conns, 1u);
  EXPECT_EQ(second_body, "hello world\n");  // and the check let the request reuse it
}

// An idle connection found dead gives its slot back before the request looks again: at
// max_conns_per_host = 1 the request dials a new connection instead of waiting for the slot
// the dead one held.
TEST(PoolConcurrency, ADeadIdleConnectionFreesItsSlotForTheRequestThatFoundIt) {
  NginxServer nginx{NginxOptions{}};
  auto options = test_options();
  options.max_conns_per_host = 1;
  GatedClient gated(options);
  auto& [gate, transport, client] = gated;
  const std::string url = nginx.base_url() + "/hello";
  std::atomic<int> dials{0};
  ClientTrace trace;
  trace.connect_start = [&](std::string_view, std::string_view) { ++dials; };
  auto request = Request::make("GET", url);
  ASSERT_TRUE(request);
  // A deadline far beyond the exchange, so that a wait for the slot fails instead of hanging.
  auto [ctx, cancel] =
      with_timeout(with_client_trace(background(), trace), std::chrono::seconds(10));

  auto first = client.send(request->with_context(ctx));
  ASSERT_TRUE(first) << first.error().what();
  ASSERT_EQ(first->body().read_all().value_or(""), "hello world\n");
  gate->fail_next();
  auto second = client.send(request->with_context(ctx));
  ASSERT_TRUE(second) << second.error().what();
  EXPECT_EQ(second->body().read_all().value_or(""), "hello world\n");
  EXPECT_EQ(dials.load(), 2);
  EXPECT_EQ(transport->pool_stats().open_conns, 1u);
}

}  // namespace
}  // namespace httptrace::testing
