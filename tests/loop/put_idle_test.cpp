// trace-semantics §6 through the EventLoop: when put_idle_conn fires and with what, and the
// pool's limits (per-host idle, global idle, max_conns_per_host hand-over, idle timeout).
#include "httptrace/event_loop.hpp"

#include <thread>

#include <gtest/gtest.h>

#include "loop/loop_fixture.hpp"
#include "support/nginx.hpp"
#include "support/script_server.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;
using Lines = std::vector<std::string>;

class LoopPutIdle : public ::testing::Test {
 protected:
  NginxServer nginx{NginxOptions{}};
  std::string hello = nginx.base_url() + "/hello";
};

TEST_F(LoopPutIdle, ConnectionCloseResponseOrRequestIsNotPooled) {
  EventLoop loop(test_options());
  HookRecorder hooks;
  LoopOutcome out = send_on(loop, traced("GET", nginx.base_url() + "/close", hooks));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.body, "closing\n");
  EXPECT_EQ(hooks.count("put_idle_conn"), 0u);

  HookRecorder close_hooks;
  auto request = traced("GET", hello, close_hooks);
  request.set_close(true);
  ASSERT_TRUE(send_on(loop, request).ok());
  EXPECT_EQ(close_hooks.count("put_idle_conn"), 0u);
  EXPECT_EQ(close_hooks.count("wrote_header_field Connection=[close]"), 1u);
  EXPECT_EQ(loop.pool_stats().open_conns, 0u);
}

TEST_F(LoopPutIdle, KeepAlivesDisabledOrNegativeIdleLimitNeverPool) {
  for (int variant = 0; variant < 2; ++variant) {
    auto options = test_options();
    if (variant == 0) options.disable_keep_alives = true;
    if (variant == 1) options.max_idle_conns_per_host = -1;
    EventLoop loop(options);
    HookRecorder hooks;
    for (int i = 0; i < 2; ++i) ASSERT_TRUE(send_on(loop, traced("GET", hello, hooks)).ok());
    EXPECT_EQ(hooks.count("put_idle_conn"), 0u) << variant;
    EXPECT_EQ(hooks.count("connect_start"), 2u) << variant;
    if (variant == 0) {
      EXPECT_EQ(hooks.lines_starting("wrote_header_field").back(),
                "wrote_header_field Connection=[close]");
    }
  }
}

// Two requests at once on one loop: two connections; the second one back finds the per-host
// idle limit (1) reached.
TEST_F(LoopPutIdle, PerHostIdleLimitRefusesTheExtraConnection) {
  auto options = test_options();
  options.max_idle_conns_per_host = 1;
  EventLoop loop(options);
  HookRecorder a, b;
  int done = 0;
  loop.submit(traced("GET", hello, a),
              [&](EventLoop::Completion& c) { done += c.response ? 1 : 0; });
  loop.submit(traced("GET", hello, b),
              [&](EventLoop::Completion& c) { done += c.response ? 1 : 0; });
  loop.run();
  ASSERT_EQ(done, 2);
  EXPECT_EQ(a.count("connect_start") + b.count("connect_start"), 2u);
  Lines puts = a.lines_starting("put_idle_conn");
  for (const std::string& line : b.lines_starting("put_idle_conn")) puts.push_back(line);
  std::sort(puts.begin(), puts.end());
  EXPECT_EQ(puts,
            (Lines{"put_idle_conn",
                   "put_idle_conn err=http: putIdleConn: too many idle connections for host"}));
  EXPECT_EQ(loop.pool_stats().idle_conns, 1u);
}

TEST_F(LoopPutIdle, CloseIdleConnectionsClosesThemAndRefusesTheNextPut) {
  EventLoop loop(test_options());
  ASSERT_TRUE(send_on(loop, *Request::make("GET", hello)).ok());
  EXPECT_EQ(loop.pool_stats().idle_conns, 1u);
  loop.close_idle_connections();
  loop.run_once(0ns);
  EXPECT_EQ(loop.pool_stats().open_conns, 0u);
  // The flag is cleared by the next get_conn (Go).
  HookRecorder next;
  ASSERT_TRUE(send_on(loop, traced("GET", hello, next)).ok());
  EXPECT_EQ(next.lines_starting("put_idle_conn"), (Lines{"put_idle_conn"}));
}

TEST_F(LoopPutIdle, GlobalIdleLimitEvictsTheOldestSilently) {
  ScriptServer other([](ServerConn& conn) {
    while (conn.read_request()) conn.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  });
  auto options = test_options();
  options.max_idle_conns = 1;
  EventLoop loop(options);
  ASSERT_TRUE(send_on(loop, *Request::make("GET", hello)).ok());
  HookRecorder second;
  ASSERT_TRUE(send_on(loop, traced("GET", other.url("/"), second)).ok());
  EXPECT_EQ(second.lines_starting("put_idle_conn"), (Lines{"put_idle_conn"}));
  EXPECT_EQ(loop.pool_stats().idle_conns, 1u);
  HookRecorder third;
  ASSERT_TRUE(send_on(loop, traced("GET", hello, third)).ok());  // nginx's was evicted
  EXPECT_EQ(third.count("connect_start"), 1u);
}

// max_conns_per_host = 1 and three requests at once: one connection, handed from request to
// request — reused, never idle (Go's late binding) — in submission order.
TEST_F(LoopPutIdle, ConnectionHandedToWaitersIsReusedButNotIdle) {
  auto options = test_options();
  options.max_conns_per_host = 1;
  EventLoop loop(options);
  HookRecorder hooks[3];
  std::vector<int> order;
  for (int i = 0; i < 3; ++i) {
    loop.submit(traced("GET", nginx.base_url() + "/static/16k.bin", hooks[i]),
                [&order, i](EventLoop::Completion& c) {
                  EXPECT_TRUE(c.response);
                  order.push_back(i);
                });
  }
  loop.run_once(0ns);
  EXPECT_EQ(loop.pool_stats().waiting_requests, 2u);
  loop.run();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(hooks[0].lines_starting("got_conn"), (Lines{"got_conn reused=0 was_idle=0"}));
  for (int i = 1; i < 3; ++i) {
    EXPECT_EQ(hooks[i].lines_starting("got_conn"), (Lines{"got_conn reused=1 was_idle=0"})) << i;
    EXPECT_EQ(hooks[i].count("connect_start"), 0u);
    EXPECT_EQ(hooks[i].idle_times().at(0), 0ns);
  }
  for (auto& h : hooks) EXPECT_EQ(h.lines_starting("put_idle_conn"), (Lines{"put_idle_conn"}));
  EXPECT_EQ(loop.pool_stats().open_conns, 1u);
}

TEST_F(LoopPutIdle, ExpiredIdleConnectionIsDroppedWithoutAHook) {
  auto options = test_options();
  options.idle_conn_timeout = 30ms;
  EventLoop loop(options);
  ASSERT_TRUE(send_on(loop, *Request::make("GET", hello)).ok());
  std::this_thread::sleep_for(60ms);  // let the idle timeout pass: the behaviour under test
  HookRecorder second;
  ASSERT_TRUE(send_on(loop, traced("GET", hello, second)).ok());
  EXPECT_EQ(second.lines_starting("got_conn"), (Lines{"got_conn reused=0 was_idle=0"}));
}

// An idle connection the server closed is noticed by the loop (it becomes readable) and never
// handed out.
TEST(LoopPutIdleScripted, DeadIdleConnectionIsNotReused) {
  ScriptServer server([](ServerConn& conn) {
    if (conn.read_request()) conn.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });  // the handler returns: the server closes the connection
  EventLoop loop(test_options());
  ASSERT_TRUE(send_on(loop, *Request::make("GET", server.url("/"))).ok());
  ASSERT_TRUE(server.wait_for_handlers_finished(1, scaled(2s)));
  HookRecorder next;
  LoopOutcome out = send_on(loop, traced("GET", server.url("/"), next));
  ASSERT_TRUE(out.ok()) << out.error().what();
  EXPECT_EQ(next.lines_starting("got_conn"), (Lines{"got_conn reused=0 was_idle=0"}));
}

TEST(LoopPutIdleScripted, ExcessBytesAreNotPooled) {
  ScriptServer server([](ServerConn& conn) {
    while (conn.read_request()) conn.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokXYZ");
  });
  EventLoop loop(test_options());
  HookRecorder hooks;
  LoopOutcome out = send_on(loop, traced("GET", server.url("/"), hooks));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.body, "ok");
  EXPECT_EQ(hooks.count("put_idle_conn"), 0u);
  HookRecorder next;
  ASSERT_TRUE(send_on(loop, traced("GET", server.url("/"), next)).ok());
  EXPECT_EQ(next.count("connect_start"), 1u);
}

// A body cut short is an error after the head; the connection is not pooled.
TEST(LoopPutIdleScripted, TruncatedBodyFailsTheRequest) {
  ScriptServer server([](ServerConn& conn) {
    if (conn.read_request()) conn.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello");
  });
  EventLoop loop(test_options());
  HookRecorder hooks;
  LoopOutcome out = send_on(loop, traced("GET", server.url("/"), hooks));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code(), ErrorCode::body_truncated);
  EXPECT_EQ(out.body_bytes, 5u);
  EXPECT_EQ(hooks.count("put_idle_conn"), 0u);
  EXPECT_EQ(loop.pool_stats().open_conns, 0u);
}

}  // namespace
}  // namespace httptrace::testing
