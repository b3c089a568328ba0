// trace-semantics §5 (a), (c), (d), (e1)–(e4), (f1)–(f3), (g), (n) through the EventLoop: the same
// hook sequences as the blocking Transport (tests/transport/scenarios_test.cpp), every hook on
// the loop thread, put_idle_conn at the end of the body just before the completion callback.
#include "httptrace/event_loop.hpp"

#include <algorithm>
#include <thread>

#include <gtest/gtest.h>

#include "httptrace/timeline.hpp"
#include "loop/loop_fixture.hpp"
#include "support/nginx.hpp"
#include "support/nginx_content.hpp"
#include "support/script_server.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;
using Lines = std::vector<std::string>;

class LoopNginx : public ::testing::Test {
 protected:
  NginxServer nginx{NginxOptions{}};
  std::string port = std::to_string(nginx.port());
  std::string authority = "127.0.0.1:" + port;
  EventLoop loop{test_options()};
};

// (a) First GET over a new connection: no DNS hooks for an IP literal; put_idle_conn when the
// loop reaches the body's end, then the callback.
TEST_F(LoopNginx, FirstGetDialsAndPoolsAtBodyEnd) {
  HookRecorder hooks;
  LoopOutcome out = send_on(loop, traced("GET", nginx.base_url() + "/hello", hooks), &hooks);
  ASSERT_TRUE(out.ok()) << out.error().what();
  EXPECT_EQ(out.body, "hello world\n");
  EXPECT_EQ(out.body_bytes, 12u);
  EXPECT_EQ(hooks.lines(),
            (Lines{"get_conn " + authority, "connect_start tcp " + authority,
                   "connect_done tcp " + authority, "got_conn reused=0 was_idle=0",
                   "wrote_header_field Host=[" + authority + "]",
                   "wrote_header_field User-Agent=[httptrace/0.1]",
                   "wrote_header_field Accept-Encoding=[gzip]", "wrote_headers", "wrote_request",
                   "got_first_response_byte", "put_idle_conn", "## done"}));
  // The loop thread is the one that called run().
  for (auto id : hooks.threads()) EXPECT_EQ(id, std::this_thread::get_id());
  EXPECT_EQ(out->status_code(), 200);
  EXPECT_EQ(out->status(), "200 OK");
  EXPECT_EQ(out->proto(), "HTTP/1.1");
  EXPECT_EQ(out->content_length(), 12u);
  EXPECT_EQ(out->request().url().to_string(), nginx.base_url() + "/hello");
  EXPECT_EQ(hooks.remote_addrs().at(0), authority);
  EXPECT_EQ(loop.pool_stats().idle_conns, 1u);
  EXPECT_EQ(loop.in_flight(), 0u);
}

// (c) The second GET reuses the idle connection, with the time it sat idle.
TEST_F(LoopNginx, SecondGetReusesIdleConnection) {
  HookRecorder first;
  ASSERT_TRUE(send_on(loop, traced("GET", nginx.base_url() + "/hello", first)).ok());
  auto idle_start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(20ms);  // idle time to measure, not synchronisation
  HookRecorder second;
  LoopOutcome out = send_on(loop, traced("GET", nginx.base_url() + "/hello", second), &second);
  ASSERT_TRUE(out.ok());
  auto elapsed = std::chrono::steady_clock::now() - idle_start;
  EXPECT_EQ(second.lines(),
            (Lines{"get_conn " + authority, "got_conn reused=1 was_idle=1",
                   "wrote_header_field Host=[" + authority + "]",
                   "wrote_header_field User-Agent=[httptrace/0.1]",
                   "wrote_header_field Accept-Encoding=[gzip]", "wrote_headers", "wrote_request",
                   "got_first_response_byte", "put_idle_conn", "## done"}));
  ASSERT_EQ(second.idle_times().size(), 1u);
  EXPECT_GE(second.idle_times()[0], 20ms);
  EXPECT_LE(second.idle_times()[0], elapsed);
  EXPECT_EQ(first.conn_ids(), second.conn_ids());
}

// (d) A POST with a known-length body; and a streamed body of unknown length goes chunked.
TEST_F(LoopNginx, PostBodiesInMemoryAndStreamed) {
  HookRecorder hooks;
  LoopOutcome out = send_on(loop, traced("POST", nginx.base_url() + "/upload", hooks,
                                         RequestBody::from_string("some body")));
  ASSERT_TRUE(out.ok()) << out.error().what();
  EXPECT_EQ(out.body, "ok\n");
  EXPECT_EQ(hooks.lines_starting("wrote_header_field"),
            (Lines{"wrote_header_field Host=[" + authority + "]",
                   "wrote_header_field User-Agent=[httptrace/0.1]",
                   "wrote_header_field Content-Length=[9]",
                   "wrote_header_field Accept-Encoding=[gzip]"}));
  EXPECT_EQ(hooks.count("put_idle_conn"), 1u);

  // 1 MiB from a reader, 7 bytes at a time at first: many chunks, many partial writes.
  std::size_t produced = 0;
  auto reader = [&produced](std::span<std::byte> buf) -> Result<std::size_t> {
    const std::size_t n = std::min<std::size_t>(
        {buf.size(), (1u << 20) - produced, produced < 100 ? 7u : buf.size()});
    std::fill_n(buf.begin(), n, std::byte{'x'});
    produced += n;
    return n;
  };
  HookRecorder streamed;
  LoopOutcome big = send_on(loop, traced("PUT", nginx.base_url() + "/upload", streamed,
                                         RequestBody::from_reader(reader, std::nullopt)));
  ASSERT_TRUE(big.ok()) << big.error().what();
  EXPECT_EQ(big.body, "ok\n");
  EXPECT_EQ(produced, 1u << 20);
  EXPECT_EQ(streamed.count("wrote_header_field Transfer-Encoding=[chunked]"), 1u);
  EXPECT_EQ(streamed.count("got_conn reused=1 was_idle=1"), 1u);
}

// Bodiless responses (204, 304, HEAD) pool before the callback; HEAD asks for no gzip.
TEST_F(LoopNginx, BodilessResponsesPoolBeforeTheCallback) {
  for (std::string path : {"/status/204", "/status/304"}) {
    HookRecorder hooks;
    LoopOutcome out = send_on(loop, traced("GET", nginx.base_url() + path, hooks), &hooks);
    ASSERT_TRUE(out.ok()) << path;
    Lines lines = hooks.lines();
    EXPECT_EQ(Lines(lines.end() - 2, lines.end()), (Lines{"put_idle_conn", "## done"})) << path;
    EXPECT_EQ(out.body_bytes, 0u);
  }
  HookRecorder head;
  LoopOutcome out =
      send_on(loop, traced("HEAD", nginx.base_url() + "/static/16k.bin", head), &head);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->content_length(), 16384u);
  EXPECT_EQ(head.lines().at(head.lines().size() - 2), "put_idle_conn");
  EXPECT_EQ(head.count("wrote_header_field Accept-Encoding"), 0u);
  EXPECT_EQ(out.body_bytes, 0u);
}

// Transparent gzip (§8.3) on a chunked body; a user-requested gzip stays compressed.
TEST_F(LoopNginx, GzipIsDecodedTransparently) {
  HookRecorder hooks;
  LoopOutcome out = send_on(loop, traced("GET", nginx.base_url() + "/static/text.txt", hooks));
  ASSERT_TRUE(out.ok()) << out.error().what();
  EXPECT_TRUE(out->uncompressed());
  EXPECT_FALSE(out->header().has("Content-Encoding"));
  EXPECT_FALSE(out->content_length());
  EXPECT_EQ(out.body, static_file_content("text.txt"));
  EXPECT_EQ(hooks.count("put_idle_conn"), 1u);

  auto request = Request::make("GET", nginx.base_url() + "/static/text.txt");
  request->header().set("Accept-Encoding", "gzip");
  LoopOutcome raw = send_on(loop, *request);
  ASSERT_TRUE(raw.ok());
  EXPECT_FALSE(raw->uncompressed());
  EXPECT_EQ(raw->header().get("Content-Encoding"), "gzip");
  EXPECT_LT(raw.body.size(), static_file_content("text.txt").size());
}

// A 1 MiB body arrives whole; a body kept or only counted gives the same count.
TEST_F(LoopNginx, LargeBodiesAreCountedOrKept) {
  LoopOutcome kept = send_on(loop, *Request::make("GET", nginx.base_url() + "/static/1m.bin"));
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept.body, static_file_content("1m.bin"));
  LoopOutcome counted =
      send_on(loop, *Request::make("GET", nginx.base_url() + "/static/1m.bin"), nullptr, {});
  ASSERT_TRUE(counted.ok());
  EXPECT_EQ(counted.body_bytes, 1u << 20);
  EXPECT_EQ(counted.body, "");
}

// Timeline::attach works on loop requests: phases from the loop's hooks add up.
TEST_F(LoopNginx, TimelineRecordsLoopRequests) {
  auto request = Request::make("GET", nginx.base_url() + "/hello");
  auto [ctx, timeline] = Timeline::attach(request->context());
  LoopOutcome out = send_on(loop, request->with_context(ctx));
  ASSERT_TRUE(out.ok());
  timeline->mark_end(out.body_bytes);
  ASSERT_EQ(timeline->hops(), 1u);
  const Phases p = timeline->phases(0);
  ASSERT_TRUE(p.connect && p.send && p.wait && p.receive && p.pool_wait);
  EXPECT_FALSE(p.dns);
  const double sum = *p.pool_wait + *p.connect + *p.send + *p.wait + *p.receive;
  EXPECT_NEAR(sum, p.total, 0.0015);
  EXPECT_EQ(timeline->facts(0).conn->reused, false);
  EXPECT_TRUE(timeline->facts(0).pooled);
}

// (g) Connection refused: the failed attempt's hooks, no got_conn, a typed error.
TEST(LoopScenarios, ConnectionRefusedFailsAfterConnectDone) {
  std::string url;
  std::string authority;
  {
    ScriptServer closed([](ServerConn&) {});
    authority = closed.authority();
    url = closed.url("/");
  }
  EventLoop loop(test_options());
  HookRecorder hooks;
  LoopOutcome out = send_on(loop, traced("GET", url, hooks));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code(), ErrorCode::connection_refused);
  EXPECT_EQ(out.error().op(), "dial");
  EXPECT_NE(std::string(out.error().what()).find(authority), std::string::npos);
  EXPECT_EQ(hooks.lines(), (Lines{"get_conn " + authority, "connect_start tcp " + authority,
                                  "connect_done tcp " + authority + " err=connection_refused"}));
  EXPECT_EQ(loop.pool_stats().open_conns, 0u);
}

ScriptServer answering(std::string response) {
  return ScriptServer([response](ServerConn& conn) {
    while (auto request = conn.read_request()) {
      if (!conn.write(response)) return;
    }
  });
}

Request expecting(const std::string& url, HookRecorder& hooks) {
  Request request = traced("POST", url, hooks, RequestBody::from_string("some body"));
  request.header().set("Expect", "100-continue");
  return request;
}

// (e1) 100 then 200.
TEST(LoopScenarios, ExpectContinueWithHundredThenFinal) {
  ScriptServer server([](ServerConn& conn) {
    auto head = conn.read_request_head();
    if (!head) return;
    conn.write("HTTP/1.1 100 Continue\r\n\r\n");
    if (!conn.read_body(*head)) return;
    conn.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  EventLoop loop(test_options());
  HookRecorder hooks;
  LoopOutcome out = send_on(loop, expecting(server.url("/up"), hooks), &hooks);
  ASSERT_TRUE(out.ok()) << out.error().what();
  EXPECT_EQ(out.body, "ok");
  Lines lines = hooks.lines();
  Lines tail(lines.end() - 9, lines.end());
  EXPECT_EQ(tail, (Lines{"wrote_header_field Accept-Encoding=[gzip]", "wrote_headers",
                         "wait_100_continue", "got_first_response_byte", "got_100_continue",
                         "got_1xx_response 100", "wrote_request", "put_idle_conn", "## done"}));
  ASSERT_TRUE(server.wait_for_requests(1, scaled(2s)));
  EXPECT_EQ(server.requests()[0].request.body, "some body");
}

// (e2) A silent server: the body goes out when expect_continue_timeout (a loop timer) passes.
TEST(LoopScenarios, ExpectContinueTimeoutSendsBodyAnyway) {
  ScriptServer server([](ServerConn& conn) {
    auto request = conn.read_request();
    if (request) conn.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  auto options = test_options();
  options.expect_continue_timeout = 300ms;
  EventLoop loop(options);
  HookRecorder hooks;
  auto start = std::chrono::steady_clock::now();
  LoopOutcome out = send_on(loop, expecting(server.url("/up"), hooks));
  ASSERT_TRUE(out.ok()) << out.error().what();
  EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);  // the timer did not fire early
  EXPECT_EQ(out.body, "ok");
  EXPECT_EQ(hooks.count("got_100_continue"), 0u);
  Lines lines = hooks.lines();
  auto wait = std::find(lines.begin(), lines.end(), "wait_100_continue");
  ASSERT_NE(wait, lines.end());
  EXPECT_EQ(*(wait + 1), "wrote_request");
  EXPECT_EQ(*(wait + 2), "got_first_response_byte");
}

// (e3) 417 before any 100: the body is withheld and the connection closed, no put_idle_conn.
TEST(LoopScenarios, ExpectContinueRefusedWithholdsBodyAndClosesConnection) {
  std::atomic<bool> peer_closed{false};
  std::string after_head;
  ScriptServer server([&](ServerConn& conn) {
    auto head = conn.read_request_head();
    if (!head) return;
    conn.write("HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n");
    peer_closed = conn.wait_for_peer_close(scaled(5s));
    after_head = conn.buffered();
  });
  EventLoop loop(test_options());
  HookRecorder hooks;
  LoopOutcome out = send_on(loop, expecting(server.url("/up"), hooks), &hooks);
  ASSERT_TRUE(out.ok()) << out.error().what();
  EXPECT_EQ(out->status_code(), 417);
  Lines lines = hooks.lines();
  EXPECT_EQ(Lines(lines.end() - 5, lines.end()),
            (Lines{"wrote_headers", "wait_100_continue", "got_first_response_byte", "wrote_request",
                   "## done"}));
  ASSERT_TRUE(server.wait_for_handlers_finished(1, scaled(5s)));
  EXPECT_TRUE(peer_closed);
  EXPECT_EQ(after_head, "");
  EXPECT_EQ(loop.pool_stats().open_conns, 0u);
}

// (e4) expect_continue_timeout = 0: the hook still fires, the body goes at once.
TEST(LoopScenarios, ExpectContinueWithZeroTimeoutStillFiresHook) {
  ScriptServer server = answering("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  auto options = test_options();
  options.expect_continue_timeout = 0ns;
  EventLoop loop(options);
  HookRecorder hooks;
  ASSERT_TRUE(send_on(loop, expecting(server.url("/up"), hooks)).ok());
  Lines lines = hooks.lines();
  auto wait = std::find(lines.begin(), lines.end(), "wait_100_continue");
  ASSERT_NE(wait, lines.end());
  EXPECT_EQ(*(wait + 1), "wrote_request");
}

// (f1), (f2) informational responses reach the hook; no got_100_continue without Expect.
TEST(LoopScenarios, InformationalResponsesReachTheHook) {
  ScriptServer server = answering(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nLink: </x>\r\n\r\nok");
  EventLoop loop(test_options());
  HookRecorder hooks;
  LoopOutcome out = send_on(loop, traced("GET", server.url("/"), hooks));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(hooks.lines_starting("got_1"),
            (Lines{"got_1xx_response 100", "got_1xx_response 103 Link=[</a>]"}));
  EXPECT_EQ(out->header().values("Link"), (std::vector<std::string_view>{"</x>"}));
  EXPECT_EQ(out.body, "ok");
}

// (f3) got_1xx_response returning an Error aborts and closes; the next request dials anew.
TEST(LoopScenarios, InformationalHookErrorAbortsAndClosesTheConnection) {
  ScriptServer server = answering(
      "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: "
      "2\r\n\r\nok");
  EventLoop loop(test_options());
  HookRecorder hooks;
  hooks.on_1xx = [](int) -> std::optional<Error> {
    return Error(ErrorCode::aborted_by_hook, "hook says no");
  };
  LoopOutcome out = send_on(loop, traced("GET", server.url("/"), hooks));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code(), ErrorCode::aborted_by_hook);
  EXPECT_NE(std::string(out.error().what()).find("hook says no"), std::string::npos);
  EXPECT_EQ(hooks.count("put_idle_conn"), 0u);
  HookRecorder again;
  ASSERT_TRUE(send_on(loop, traced("GET", server.url("/"), again)).ok());
  EXPECT_EQ(again.count("connect_start"), 1u);
  EXPECT_EQ(server.connections_accepted(), 2u);
}

TEST(LoopScenarios, SixthInformationalResponseIsAnError) {
  std::string six;
  for (int i = 0; i < 6; ++i) six += "HTTP/1.1 103 Early Hints\r\n\r\n";
  ScriptServer server = answering(six + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  EventLoop loop(test_options());
  HookRecorder hooks;
  LoopOutcome out = send_on(loop, traced("GET", server.url("/"), hooks));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code(), ErrorCode::protocol);
  EXPECT_EQ(hooks.count("got_1xx_response"), 5u);
}

TEST(LoopScenarios, InvalidRequestsFireNoHookAndSendNothing) {
  ScriptServer server = answering("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  EventLoop loop(test_options());
  HookRecorder hooks;
  auto bad_header = traced("GET", server.url("/"), hooks);
  bad_header.header().add("X-Evil", "a\r\nInjected: yes");
  EXPECT_EQ(send_on(loop, bad_header).error().code(), ErrorCode::invalid_request);
  auto ftp = Request::make("GET", "ftp://127.0.0.1/x");
  EXPECT_EQ(send_on(loop, ftp->with_context(with_client_trace(background(), hooks.trace())))
                .error()
                .code(),
            ErrorCode::unsupported_scheme);
  auto [ctx, cancel] = with_cancel(background());
  cancel();
  EXPECT_EQ(send_on(loop, traced("GET", server.url("/"), hooks, RequestBody::empty(), ctx))
                .error()
                .code(),
            ErrorCode::canceled);
  EXPECT_TRUE(hooks.lines().empty());
  EXPECT_EQ(server.connections_accepted(), 0u);
}

// Proxies are a Client feature for now: refused with a clear error, nothing sent.
TEST(LoopScenarios, ProxiesAreRefusedWithAClearError) {
  auto options = test_options();
  options.proxy = proxy_url(*Url::parse("http://127.0.0.1:9"));
  EventLoop loop(options);
  LoopOutcome out = send_on(loop, *Request::make("GET", "http://127.0.0.1:1/"));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code(), ErrorCode::proxy);
  EXPECT_NE(std::string(out.error().what()).find("not supported by EventLoop"), std::string::npos);
}

// (n) A dead reused connection: a GET is retried on a new connection (a second get_conn); a
// POST is not, and its error says it may have been sent.
TEST(LoopScenarios, DeadReusedConnectionIsRetriedForIdempotentRequestsOnly) {
  ScriptServer server([](ServerConn& conn) {
    if (conn.id() % 2 == 1) return;  // odd connections: answer nothing, close
    if (!conn.read_request()) return;
    conn.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    (void)conn.read_request();  // the next request on this connection: read, then close
  });
  EventLoop loop(test_options());
  ASSERT_TRUE(send_on(loop, *Request::make("GET", server.url("/"))).ok());
  HookRecorder hooks;
  LoopOutcome out = send_on(loop, traced("GET", server.url("/"), hooks));
  // The retry dialed connection 1, which closes at once: a fresh connection's failure is final.
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(hooks.count("get_conn"), 2u);
  EXPECT_EQ(hooks.lines_starting("got_conn"),
            (Lines{"got_conn reused=1 was_idle=1", "got_conn reused=0 was_idle=0"}));

  ASSERT_TRUE(send_on(loop, *Request::make("GET", server.url("/"))).ok());  // connection 2
  HookRecorder post;
  LoopOutcome refused =
      send_on(loop, traced("POST", server.url("/"), post, RequestBody::from_string("x")));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(post.count("get_conn"), 1u);
  EXPECT_TRUE(refused.error().maybe_sent());
}

}  // namespace
}  // namespace httptrace::testing
