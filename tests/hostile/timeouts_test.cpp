// bad-inputs.md F40–F42: timeouts and cancellation. F40's TLS half is in tls_test.cpp, F43 in
// concurrency_test.cpp; F44 needs proxies (pending).
#include "httptrace/transport.hpp"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "hostile/hostile_fixture.hpp"
#include "support/full_backlog.hpp"

namespace httptrace::testing {
namespace {

using Timeouts = Hostile;

// F40. A connect that is never answered ends at the dial timeout, leaving no half-open fd (the
// fixture's leak gate).
TEST_F(Timeouts, UnansweredConnectEndsAtTheDialTimeout) {
  TransportOptions options = test_options();
  options.dial_timeout = 300ms;
  use_options(options);
  FullBacklogListener listener = listen_with_full_backlog();
  Exchange x = exchange(get("http://" + listener.authority() + "/"));
  EXPECT_ERROR(x, ErrorCode::timeout);
  ASSERT_TRUE(x.error);
  EXPECT_EQ(x.error->op(), "dial");
  EXPECT_TRUE(x.error->is_timeout());
  EXPECT_LE(x.elapsed, 300ms + kDeadlineSlack);
  EXPECT_EQ(x.hooks->count("got_conn"), 0u);
  expect_consistent_trace(x, Pooling::never);
}

// F41. Cancel mid-body: the next read fails with canceled within 50 ms; the server sees the
// close; nothing goes back to the pool.
TEST_F(Timeouts, CancelMidBodyEndsTheNextReadPromptly) {
  std::atomic<bool> server_saw_close{false};
  ScriptServer server([&](ServerConn& conn) {
    if (!conn.read_request()) return;
    if (!conn.write(response_with("Content-Length: 100\r\n", "12345"))) return;
    server_saw_close = conn.wait_for_peer_close(scaled(5s));
  });
  auto [ctx, cancel] = with_cancel(background());
  HookRecorder hooks;
  auto response = transport->round_trip(traced("GET", server.url(), hooks, {}, ctx));
  ASSERT_TRUE(response) << response.error().what();
  std::string got;
  while (got.size() < 5) {
    std::byte buf[5];
    auto n = response->body().read(std::span(buf, 5 - got.size()));
    ASSERT_TRUE(n && *n > 0);
    got.append(reinterpret_cast<const char*>(buf), *n);
  }
  EXPECT_EQ(got, "12345");

  std::atomic<bool> reading{false};
  std::atomic<Clock::time_point> canceled_at{};
  std::thread canceller([&] {
    while (!reading) std::this_thread::yield();
    canceled_at = Clock::now();
    cancel();
  });
  reading = true;
  std::byte buf[16];
  auto n = response->body().read(buf);
  const auto returned = Clock::now();
  canceller.join();
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code(), ErrorCode::canceled) << n.error().what();
  EXPECT_LE(returned - canceled_at.load(), scaled(50ms));
  EXPECT_EQ(transport->pool_stats().open_conns, 0u);
  ASSERT_TRUE(server.wait_for_handlers_finished(1, scaled(2s)));
  EXPECT_TRUE(server_saw_close);
  EXPECT_EQ(hooks.count("put_idle_conn"), 0u);
}

// F42. The deadline during a dripping body: deadline_exceeded (a timeout), never canceled.
TEST_F(Timeouts, DeadlineDuringADrippingBodyIsDeadlineExceeded) {
  ScriptServer server([](ServerConn& conn) {
    if (!conn.read_request()) return;
    if (!conn.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")) return;
    (void)conn.drip(std::string(100, 'd'), 100ms);
  });
  auto [ctx, cancel] = with_timeout(background(), 300ms);
  Exchange x = exchange(get(server.url(), ctx));
  ASSERT_TRUE(x.response) << x.describe();
  EXPECT_ERROR(x, ErrorCode::deadline_exceeded);
  ASSERT_TRUE(x.body_error);
  EXPECT_TRUE(x.body_error->is_timeout());
  EXPECT_NE(x.body_error->code(), ErrorCode::canceled);
  EXPECT_GT(x.body.size(), 0u);
  EXPECT_LT(x.body.size(), 10u);
  EXPECT_LE(x.elapsed, 300ms + kDeadlineSlack);
  expect_consistent_trace(x, Pooling::never);
}

// F42 through a Client: its timeout covers the body too.
TEST_F(Timeouts, ClientTimeoutCoversTheBody) {
  ScriptServer server([](ServerConn& conn) {
    if (!conn.read_request()) return;
    if (!conn.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")) return;
    (void)conn.drip(std::string(100, 'd'), 100ms);
  });
  ClientOptions options;
  options.transport = transport;
  options.timeout = 300ms;
  Client client(options);
  Exchange x = send_on(client, get(server.url()));
  ASSERT_TRUE(x.response) << x.describe();
  EXPECT_ERROR(x, ErrorCode::deadline_exceeded);
  EXPECT_LE(x.elapsed, 300ms + kDeadlineSlack);
  expect_consistent_trace(x, Pooling::never);
}

}  // namespace
}  // namespace httptrace::testing
