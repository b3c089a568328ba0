// bad-inputs.md E31–E38: connection lifecycle, the pool and the retry rules ("nothing lost").
// E39 (many waiters on one connection) is in concurrency_test.cpp.
#include "httptrace/transport.hpp"

#include <atomic>
#include <mutex>

#include <gtest/gtest.h>

#include "hostile/fault_stream.hpp"
#include "hostile/hostile_fixture.hpp"

namespace httptrace::testing {
namespace {

using Lifecycle = Hostile;

// Requests a test logged for `target`.
std::size_t count_target(const ScriptServer& server, std::string_view target) {
  std::size_t n = 0;
  for (const LoggedRequest& logged : server.requests()) n += logged.request.target == target;
  return n;
}

// Reads then answers the first request; `after_first` runs on connection 0 next. Every later
// connection answers every request with kOk.
ScriptServer first_conn_then(std::function<void(ServerConn&)> after_first) {
  return ScriptServer([after_first = std::move(after_first)](ServerConn& conn) {
    if (conn.id() == 0) {
      if (!conn.read_request() || !conn.write(kOk)) return;
      after_first(conn);
      return;
    }
    while (conn.read_request()) {
      if (!conn.write(kOk)) return;
    }
  });
}

// A reader body (never rewindable) of `size` bytes produced in 16 KiB reads; counts what it
// produced.
struct CountingBody {
  std::shared_ptr<std::atomic<std::size_t>> produced =
      std::make_shared<std::atomic<std::size_t>>(0);
  RequestBody make(std::size_t size) const {
    return RequestBody::from_reader(
        [produced = produced, size](std::span<std::byte> buf) -> Result<std::size_t> {
          std::size_t n = std::min({buf.size(), std::size_t{16 * 1024}, size - produced->load()});
          std::fill_n(buf.begin(), n, std::byte{'u'});
          *produced += n;
          return n;
        },
        size);
  }
};

// E31. The server closed an idle pooled connection: found at checkout or retried; one GET.
TEST_F(Lifecycle, IdleConnectionClosedByTheServerIsNotLost) {
  std::atomic<bool> closed{false};
  ScriptServer server = first_conn_then([&](ServerConn& conn) {
    conn.shutdown_write();
    closed = true;
    conn.wait_for_peer_close(scaled(5s));
  });
  Exchange first = exchange(get(server.url("/1")));
  ASSERT_TRUE(first.response) << first.describe();
  while (!closed) std::this_thread::yield();
  Exchange second = exchange(get(server.url("/2")));
  ASSERT_TRUE(second.response) << second.describe();
  EXPECT_EQ(second.body, "ok");
  ASSERT_TRUE(server.wait_for_requests(2, scaled(2s)));
  EXPECT_EQ(count_target(server, "/2"), 1u);
  expect_consistent_trace(second, Pooling::once);
}

// E32. The reused connection dies while a non-replayable POST goes out: no retry, maybe_sent.
TEST_F(Lifecycle, NonReplayablePostOnADyingConnectionIsNotRetried) {
  ScriptServer server = first_conn_then([](ServerConn& conn) {
    (void)conn.read_request_head();
    conn.close();
  });
  Exchange first = exchange(get(server.url("/1")));
  ASSERT_TRUE(first.response) << first.describe();
  CountingBody body;
  Exchange x = exchange(make_request("POST", server.url("/post"), body.make(64 * 1024)));
  EXPECT_ERROR(x, ErrorCode::connection_reset);
  ASSERT_TRUE(x.error);
  EXPECT_TRUE(x.error->maybe_sent());
  EXPECT_EQ(x.hooks->count("get_conn"), 1u);
  EXPECT_EQ(server.connections_accepted(), 1u);
  EXPECT_LE(count_target(server, "/post"), 1u);  // I5
  expect_consistent_trace(x, Pooling::never);
}

// E33. Replayable requests are retried on another connection with the identical body.
TEST_F(Lifecycle, ReplayableRequestsAreRetriedOnANewConnection) {
  struct Case {
    std::string method;
    std::string body;
    bool idempotency_key;
  };
  for (const Case& c : {Case{"GET", "", false}, Case{"HEAD", "", false},
                        Case{"POST", "payload", true}, Case{"OPTIONS", "", false}}) {
    SCOPED_TRACE(c.method);
    ScriptServer server = first_conn_then([](ServerConn& conn) {
      (void)conn.read_request();
      conn.close();
    });
    Exchange first = exchange(get(server.url("/1")));
    ASSERT_TRUE(first.response) << first.describe();
    auto request =
        make_request(c.method, server.url("/again"),
                     c.body.empty() ? RequestBody::empty() : RequestBody::from_string(c.body));
    if (c.idempotency_key) request.header().set("Idempotency-Key", "k1");
    Exchange x = exchange(request);
    ASSERT_TRUE(x.response) << x.describe();
    EXPECT_EQ(x.hooks->count("get_conn"), 2u);
    EXPECT_EQ(
        x.hooks->lines_starting("got_conn"),
        (std::vector<std::string>{"got_conn reused=1 was_idle=1", "got_conn reused=0 was_idle=0"}));
    ASSERT_TRUE(server.wait_for_requests(3, scaled(2s)));
    auto requests = server.requests();
    EXPECT_EQ(requests[1].request.raw, requests[2].request.raw);  // re-sent identically
    EXPECT_EQ(requests[2].request.body, c.body);
    expect_consistent_trace(x, Pooling::any);  // kOk has a body, which a HEAD must not get
    transport->close_idle_connections();
  }
}

TEST_F(Lifecycle, FailureOnAFreshConnectionIsNeverRetried) {
  ScriptServer server([](ServerConn& conn) {
    (void)conn.read_request();
    conn.close();
  });
  auto request = make_request("POST", server.url(), RequestBody::from_string("payload"));
  request.header().set("Idempotency-Key", "k1");
  Exchange x = exchange(request);
  EXPECT_ERROR(x, ErrorCode::connection_reset);
  EXPECT_EQ(x.hooks->count("get_conn"), 1u);
  EXPECT_EQ(server.connections_accepted(), 1u);
  expect_consistent_trace(x, Pooling::never);
}

// E34. The first write on a reused connection fails having sent nothing: a rewindable POST is
// retried (nothing was sent).
TEST_F(Lifecycle, UnsentRewindablePostIsRetriedAfterAFailedFirstWrite) {
  FaultPlan plan;
  plan.fail_write.push_back(
      Fault{0, 1, Error(ErrorCode::connection_reset, "injected: broken pipe")});
  auto counters = install_faults(*transport, plan);
  ScriptServer server(reply_always(std::string(kOk)));
  Exchange first = exchange(get(server.url("/1")));
  ASSERT_TRUE(first.response) << first.describe();
  Exchange x =
      exchange(make_request("POST", server.url("/post"), RequestBody::from_string("payload")));
  ASSERT_TRUE(x.response) << x.describe();
  EXPECT_EQ(counters->injected.load(), 1u);
  EXPECT_EQ(x.hooks->count("get_conn"), 2u);
  ASSERT_TRUE(server.wait_for_requests(2, scaled(2s)));
  EXPECT_EQ(count_target(server, "/post"), 1u);  // I5
  EXPECT_EQ(server.requests()[1].request.body, "payload");
  expect_consistent_trace(x, Pooling::once);
}

TEST_F(Lifecycle, ResetOnAFreshConnectionIsReturnedNotRetried) {
  ScriptServer server([](ServerConn& conn) {
    (void)conn.read_request();
    conn.reset();
  });
  Exchange x = exchange(get(server.url()));
  EXPECT_ERROR(x, ErrorCode::connection_reset);
  EXPECT_EQ(x.hooks->count("get_conn"), 1u);
  EXPECT_EQ(server.connections_accepted(), 1u);
  expect_consistent_trace(x, Pooling::never);
}

// Short writes everywhere still deliver the request intact (the write loop's partial-write
// path, bad-inputs "How to test it").
TEST_F(Lifecycle, ShortWritesDeliverTheRequestIntact) {
  FaultPlan plan;
  plan.max_write_bytes = 3;
  install_faults(*transport, plan);
  ScriptServer server(reply_always(std::string(kOk)));
  auto [ctx, cancel] = with_timeout(background(), kGuard);  // the partial-write path needs a ctx
  const std::string payload(10'000, 'p');
  Exchange x =
      exchange(make_request("POST", server.url("/p"), RequestBody::from_string(payload), ctx));
  ASSERT_TRUE(x.response) << x.describe();
  ASSERT_TRUE(server.wait_for_requests(1, scaled(2s)));
  EXPECT_EQ(server.requests()[0].request.body, payload);
}

// E35. An idle connection that received a 408 and FIN, or unsolicited bytes, is evicted; its
// bytes never answer a later request.
TEST_F(Lifecycle, UnsolicitedBytesOnAnIdleConnectionAreNeverAResponse) {
  struct Case {
    std::string bytes;
    bool fin;
  };
  for (const Case& c : {Case{"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n", true},
                        Case{"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\npoison", false}}) {
    SCOPED_TRACE(c.bytes);
    std::atomic<bool> sent{false};
    ScriptServer server = first_conn_then([&](ServerConn& conn) {
      if (!conn.write(c.bytes)) return;
      if (c.fin) conn.shutdown_write();
      sent = true;
      while (conn.read_request()) {
        if (!conn.write(kOk)) return;
      }
    });
    Exchange first = exchange(get(server.url("/1")));
    ASSERT_TRUE(first.response) << first.describe();
    while (!sent) std::this_thread::yield();
    Exchange x = exchange(get(server.url("/2")));
    ASSERT_TRUE(x.response) << x.describe();
    EXPECT_EQ(x.response->status_code(), 200);
    EXPECT_EQ(x.body, "ok");  // never "poison"
    EXPECT_EQ(x.hooks->lines_starting("got_conn").back(), "got_conn reused=0 was_idle=0");
    transport->close_idle_connections();
  }
}

// E36. A final answer while the upload is under way: returned, the upload stops, the
// connection closes.
TEST_F(Lifecycle, EarlyResponseStopsTheUploadAndClosesTheConnection) {
  // The server answers before it reads past 4 KiB, so the client can have written at most
  // 4 KiB plus both sockets' buffers (Linux caps them at 4 MiB send, 32 MiB receive) when the
  // 401 reaches it: an upload larger than that must be cut short, however fast the machine.
  constexpr std::size_t kUpload = std::size_t{64} << 20;
  std::atomic<std::size_t> drained{0};
  std::atomic<bool> peer_closed{false};
  ScriptServer server([&](ServerConn& conn) {
    auto head = conn.read_request_head();
    if (!head || !conn.read_exactly(4096)) return;
    if (!conn.write("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")) return;
    std::size_t total = 4096;
    for (;;) {
      auto bytes = conn.read_some();
      if (!bytes || bytes->empty()) break;
      total += bytes->size();
      drained = total;
    }
    peer_closed = true;
  });
  CountingBody body;
  Exchange x = exchange(make_request("POST", server.url(), body.make(kUpload)));
  ASSERT_TRUE(x.response) << x.describe();  // the 401, not EPIPE
  EXPECT_EQ(x.response->status_code(), 401);
  expect_consistent_trace(x, Pooling::never);
  EXPECT_TRUE(server.wait_for_handlers_finished(1, scaled(2s)));  // the client closed
  EXPECT_LT(body.produced->load(), kUpload);                      // it stopped uploading
}

// An early 2xx (nginx's `return` answers before it has read the body, then discards it): the
// upload goes on to the end, as curl's does, and the connection stays reusable.
TEST_F(Lifecycle, EarlySuccessLetsTheUploadFinishAndKeepsTheConnection) {
  constexpr std::size_t kUpload = std::size_t{64} << 20;  // see the test above
  ScriptServer server([&](ServerConn& conn) {
    if (!conn.read_request_head() || !conn.read_exactly(4096)) return;
    if (!conn.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")) return;
    for (std::size_t left = kUpload - 4096; left > 0;) {
      auto bytes = conn.read_some(std::min<std::size_t>(left, 1 << 20));
      if (!bytes || bytes->empty()) return;
      left -= bytes->size();
    }
    (void)conn.wait_for_peer_close(scaled(5s));
  });
  CountingBody body;
  Exchange x = exchange(make_request("PUT", server.url(), body.make(kUpload)));
  ASSERT_TRUE(x.response) << x.describe();
  EXPECT_EQ(x.response->status_code(), 200);
  EXPECT_EQ(x.body, "ok");
  EXPECT_EQ(body.produced->load(), kUpload);  // every byte went out
  expect_consistent_trace(x, Pooling::once);
}

// E37. A 400 and a RST mid-upload: the 400 if it could be read, else connection_reset; no
// hang.
TEST_F(Lifecycle, ResetMidUploadReturnsPromptly) {
  ScriptServer server([](ServerConn& conn) {
    if (!conn.read_request_head() || !conn.read_exactly(4096)) return;
    (void)conn.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    conn.reset();
  });
  CountingBody body;
  Exchange x = exchange(make_request("POST", server.url(), body.make(4 << 20)));
  if (x.response) {
    EXPECT_EQ(x.response->status_code(), 400);
  } else {
    EXPECT_ERROR(x, ErrorCode::connection_reset);
  }
  EXPECT_LT(x.elapsed, kGuard);
  expect_consistent_trace(x, Pooling::never);
}

// E38. A body closed early closes its connection at once; Connection: close is never pooled.
TEST_F(Lifecycle, BodyClosedEarlyClosesTheConnectionPromptly) {
  std::atomic<Clock::time_point> seen_close{};
  ScriptServer server([&](ServerConn& conn) {
    if (!conn.read_request()) return;
    if (!conn.write(response_with("Content-Length: 1000000\r\n", std::string(64 * 1024, 'b'))))
      return;
    if (conn.wait_for_peer_close(scaled(5s))) seen_close = Clock::now();
  });
  HookRecorder hooks;
  auto response = transport->round_trip(
      traced("GET", server.url(), hooks, {}, with_timeout(background(), kGuard).first));
  ASSERT_TRUE(response) << response.error().what();
  std::byte ten[10];
  auto n = response->body().read(ten);
  ASSERT_TRUE(n);
  auto closed_at = Clock::now();
  response->body().close();
  EXPECT_EQ(transport->pool_stats().open_conns, 0u);
  ASSERT_TRUE(server.wait_for_handlers_finished(1, scaled(2s)));
  ASSERT_NE(seen_close.load(), Clock::time_point{}) << "the server never saw the connection close";
  EXPECT_LE(seen_close.load() - closed_at, scaled(100ms));
  EXPECT_EQ(hooks.count("put_idle_conn"), 0u);
}

TEST_F(Lifecycle, ConnectionCloseResponseIsNotPooled) {
  ScriptServer server(
      reply_once(response_with("Content-Length: 2\r\nConnection: close\r\n", "ok")));
  Exchange first = exchange(get(server.url("/1")));
  ASSERT_TRUE(first.response) << first.describe();
  EXPECT_EQ(first.body, "ok");
  expect_consistent_trace(first, Pooling::never);
  EXPECT_EQ(transport->pool_stats().idle_conns, 0u);
  Exchange second = exchange(get(server.url("/2")));
  ASSERT_TRUE(second.response) << second.describe();
  EXPECT_EQ(second.hooks->count("connect_start"), 1u);  // dialed anew
  EXPECT_EQ(server.connections_accepted(), 2u);
}

}  // namespace
}  // namespace httptrace::testing
