// trace-semantics §6: when put_idle_conn fires, and with what, for every HTTP/1 row.
#include "httptrace/transport.hpp"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "support/nginx.hpp"
#include "support/script_server.hpp"
#include "transport/fixture.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;

class PutIdle : public ::testing::Test {
 protected:
  NginxServer nginx{NginxOptions{}};
  std::string hello = nginx.base_url() + "/hello";
};

TEST_F(PutIdle, BodyReadToEofPoolsInsideTheFinalRead) {
  auto transport = make_transport();
  HookRecorder hooks;
  auto response = transport->round_trip(traced("GET", nginx.base_url() + "/static/16k.bin", hooks));
  ASSERT_TRUE(response);
  std::byte buf[1000];
  std::size_t total = 0;
  for (;;) {
    std::size_t before = hooks.count("put_idle_conn");
    auto n = response->body().read(buf);
    ASSERT_TRUE(n);
    if (*n == 0) {
      EXPECT_EQ(before, 1u) << "pooled before the read that returns 0";
      break;
    }
    total += *n;
    // Go hands the connection back in the read that delivers the last byte.
    EXPECT_EQ(hooks.count("put_idle_conn"), total == 16384 ? 1u : 0u) << total;
  }
  EXPECT_EQ(total, 16384u);
  EXPECT_EQ(transport->pool_stats().idle_conns, 1u);
}

TEST_F(PutIdle, BodyClosedBeforeEofIsNotPooled) {
  auto transport = make_transport();
  HookRecorder hooks;
  auto response = transport->round_trip(traced("GET", nginx.base_url() + "/static/1m.bin", hooks));
  ASSERT_TRUE(response);
  std::byte buf[10];
  ASSERT_TRUE(response->body().read(buf));
  response->body().close();
  EXPECT_EQ(hooks.count("put_idle_conn"), 0u);
  EXPECT_EQ(transport->pool_stats().open_conns, 0u);
  auto again = response->body().read(buf);
  EXPECT_FALSE(again);  // reading a closed body is an error, never bytes of another response
}

TEST_F(PutIdle, ConnectionCloseResponseOrRequestIsNotPooled) {
  auto transport = make_transport();
  HookRecorder hooks;
  auto response = transport->round_trip(traced("GET", nginx.base_url() + "/close", hooks));
  ASSERT_TRUE(response);
  EXPECT_EQ(body_of(*response), "closing\n");
  EXPECT_EQ(hooks.count("put_idle_conn"), 0u);

  HookRecorder close_hooks;
  auto request = traced("GET", hello, close_hooks);
  request.set_close(true);
  auto closed = transport->round_trip(request);
  ASSERT_TRUE(closed);
  body_of(*closed);
  EXPECT_EQ(close_hooks.count("put_idle_conn"), 0u);
  EXPECT_EQ(close_hooks.count("wrote_header_field Connection=[close]"), 1u);
  EXPECT_EQ(transport->pool_stats().open_conns, 0u);
}

TEST_F(PutIdle, KeepAlivesDisabledOrNegativeIdleLimitNeverPool) {
  for (int variant = 0; variant < 2; ++variant) {
    auto options = test_options();
    if (variant == 0) options.disable_keep_alives = true;
    if (variant == 1) options.max_idle_conns_per_host = -1;
    auto transport = make_transport(options);
    HookRecorder hooks;
    for (int i = 0; i < 2; ++i) {
      auto response = transport->round_trip(traced("GET", hello, hooks));
      ASSERT_TRUE(response);
      body_of(*response);
    }
    EXPECT_EQ(hooks.count("put_idle_conn"), 0u) << variant;
    EXPECT_EQ(hooks.count("connect_start"), 2u) << variant;
    if (variant == 0) {
      // Go's DisableKeepAlives extra header, after Accept-Encoding (§4).
      EXPECT_EQ(hooks.lines_starting("wrote_header_field").back(), "wrote_header_field Connection=[close]");
    }
  }
}

TEST_F(PutIdle, PerHostIdleLimitRefusesTheExtraConnection) {
  auto options = test_options();
  options.max_idle_conns_per_host = 1;
  auto transport = make_transport(options);
  HookRecorder a, b;
  auto ra = transport->round_trip(traced("GET", hello, a));
  auto rb = transport->round_trip(traced("GET", hello, b));  // a second connection: a's is busy
  ASSERT_TRUE(ra && rb);
  body_of(*ra);
  body_of(*rb);
  EXPECT_EQ(a.lines_starting("put_idle_conn"), (std::vector<std::string>{"put_idle_conn"}));
  EXPECT_EQ(b.lines_starting("put_idle_conn"),
            (std::vector<std::string>{"put_idle_conn err=http: putIdleConn: too many idle connections for host"}));
  EXPECT_EQ(transport->pool_stats().idle_conns, 1u);
}

TEST_F(PutIdle, CloseIdleConnectionsWhileInFlightRefusesThePut) {
  auto transport = make_transport();
  HookRecorder hooks;
  auto response = transport->round_trip(traced("GET", nginx.base_url() + "/static/16k.bin", hooks));
  ASSERT_TRUE(response);
  transport->close_idle_connections();
  body_of(*response);
  EXPECT_EQ(hooks.lines_starting("put_idle_conn"),
            (std::vector<std::string>{"put_idle_conn err=http: putIdleConn: CloseIdleConnections was called"}));
  // The flag is cleared by the next get_conn (Go).
  HookRecorder next;
  auto again = transport->round_trip(traced("GET", hello, next));
  ASSERT_TRUE(again);
  body_of(*again);
  EXPECT_EQ(next.lines_starting("put_idle_conn"), (std::vector<std::string>{"put_idle_conn"}));
}

TEST_F(PutIdle, GlobalIdleLimitEvictsTheOldestSilently) {
  ScriptServer other([](ServerConn& conn) {
    while (conn.read_request()) conn.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  });
  auto options = test_options();
  options.max_idle_conns = 1;
  auto transport = make_transport(options);
  HookRecorder first, second;
  auto r1 = transport->round_trip(traced("GET", hello, first));
  ASSERT_TRUE(r1);
  body_of(*r1);
  auto r2 = transport->round_trip(traced("GET", other.url("/"), second));
  ASSERT_TRUE(r2);
  EXPECT_EQ(second.lines_starting("put_idle_conn"), (std::vector<std::string>{"put_idle_conn"}));
  EXPECT_EQ(transport->pool_stats().idle_conns, 1u);
  HookRecorder third;
  auto r3 = transport->round_trip(traced("GET", hello, third));  // nginx's was evicted
  ASSERT_TRUE(r3);
  EXPECT_EQ(third.count("connect_start"), 1u);
}

TEST_F(PutIdle, ConnectionHandedToAWaiterIsReusedButNotIdle) {
  auto options = test_options();
  options.max_conns_per_host = 1;
  auto transport = make_transport(options);
  HookRecorder first;
  auto r1 = transport->round_trip(traced("GET", nginx.base_url() + "/static/16k.bin", first));
  ASSERT_TRUE(r1);
  HookRecorder waiter;
  std::atomic<bool> waiting{false};
  std::thread second([&] {
    auto request = traced("GET", hello, waiter);
    waiting = true;
    auto r2 = transport->round_trip(request);
    ASSERT_TRUE(r2);
    body_of(*r2);
  });
  while (transport->pool_stats().waiting_requests == 0) std::this_thread::yield();
  body_of(*r1);
  second.join();
  EXPECT_EQ(first.lines_starting("put_idle_conn"), (std::vector<std::string>{"put_idle_conn"}));
  EXPECT_EQ(waiter.lines_starting("got_conn"), (std::vector<std::string>{"got_conn reused=1 was_idle=0"}));
  EXPECT_EQ(waiter.count("connect_start"), 0u);
  EXPECT_EQ(waiter.idle_times().at(0), 0ns);
}

TEST_F(PutIdle, ContextEndingWhileBodyUnreadIsNotPooled) {
  auto transport = make_transport();
  HookRecorder hooks;
  auto [ctx, cancel] = with_cancel(background());
  auto response = transport->round_trip(traced("GET", nginx.base_url() + "/static/1m.bin", hooks, {}, ctx));
  ASSERT_TRUE(response);
  cancel();
  auto body = response->body().read_all();
  if (body) {
    // The whole body may already sit in socket buffers; then it must be complete.
    EXPECT_EQ(body->size(), 1024u * 1024u);
  } else {
    EXPECT_EQ(body.error().code(), ErrorCode::canceled);
    EXPECT_EQ(hooks.count("put_idle_conn"), 0u);
  }
}

TEST_F(PutIdle, ExpiredIdleConnectionIsDroppedWithoutAHook) {
  auto options = test_options();
  options.idle_conn_timeout = 30ms;
  auto transport = make_transport(options);
  HookRecorder first;
  auto r1 = transport->round_trip(traced("GET", hello, first));
  ASSERT_TRUE(r1);
  body_of(*r1);
  std::this_thread::sleep_for(60ms);  // let the idle timeout pass: the behaviour under test
  HookRecorder second;
  auto r2 = transport->round_trip(traced("GET", hello, second));
  ASSERT_TRUE(r2);
  EXPECT_EQ(second.lines_starting("got_conn"), (std::vector<std::string>{"got_conn reused=0 was_idle=0"}));
}

TEST(PutIdleScripted, ReadErrorsAndExcessBytesAreNotPooled) {
  // Three more bytes than Content-Length announced: the body is the first 2; the rest must
  // never be read as another response (bad-inputs B12).
  ScriptServer server([](ServerConn& conn) {
    while (conn.read_request()) conn.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokXYZ");
  });
  auto transport = make_transport();
  HookRecorder hooks;
  auto response = transport->round_trip(traced("GET", server.url("/"), hooks));
  ASSERT_TRUE(response);
  EXPECT_EQ(body_of(*response), "ok");
  EXPECT_EQ(hooks.count("put_idle_conn"), 0u);
  HookRecorder next;
  auto again = transport->round_trip(traced("GET", server.url("/"), next));
  ASSERT_TRUE(again);
  EXPECT_EQ(next.count("connect_start"), 1u);
  EXPECT_EQ(body_of(*again), "ok");
}

}  // namespace
}  // namespace httptrace::testing
